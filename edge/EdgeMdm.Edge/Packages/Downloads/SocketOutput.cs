using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.Win32.SafeHandles;

namespace EdgeMdm.Edge.Packages;

/// <summary>
/// The sending half of one plain TCP connection, in place of the one Kestrel's socket transport brings: the bytes
/// the HTTP layer writes go out in the order written and, between them, ranges of a file that the kernel sends
/// itself (<c>sendfile(2)</c>, on <see cref="KernelFileSender"/>'s below-normal threads), never copied through
/// this process. Kestrel has no such path; a package download otherwise costs two copies of every byte here (file to
/// buffer, buffer to socket), which on a two-core appliance is the CPU its check-ins need.
/// <para>
/// A file range enters the byte stream through the ordinary <see cref="PipeWriter"/> calls the HTTP layer passes
/// down: while <see cref="SendFileAsync"/> runs, <see cref="GetMemory"/> hands out <see cref="Scratch"/> and every
/// <see cref="Advance"/> stands for that many bytes of the file, so Kestrel counts the body against its
/// Content-Length exactly as if it had carried the bytes. This is only sound where the HTTP layer writes straight
/// into this writer, which <see cref="ServesDirectly"/> checks (HTTP/1.x, nothing such as TLS in between), and
/// where it hands this writer's memory back unchanged, which every chunk checks: anything else falls back to
/// copying, and memory that is not <see cref="Scratch"/> is never advanced unwritten.
/// </para>
/// </summary>
internal sealed class SocketOutput : PipeWriter
{
    /// <summary>The most one advance can stand for: a file range is queued per flush, at most this long.</summary>
    internal const int FileChunkBytes = 1024 * 1024;

    /// <summary>
    /// How far file ranges may be queued ahead of the socket. They are only offsets, not buffers, so this costs no
    /// memory; it keeps a download's writer one range ahead, so the kernel always has the next one.
    /// </summary>
    private const long FileQueueBytes = 2L * FileChunkBytes;

    /// <summary>What <see cref="GetMemory"/> hands out while a file range is written: never read, never sent.</summary>
    private static readonly byte[] Scratch = GC.AllocateUninitializedArray<byte>(FileChunkBytes);

    private const int TcpLevel = 6;
    private const int TcpCork = 3;

    private readonly Socket _socket;
    private readonly ConnectionContext _connection;
    private readonly DownloadCounters _counters;
    private readonly KernelFileSender _kernel;
    private readonly Pipe _data;
    private readonly Lock _lock = new();
    private readonly Queue<FileRange> _files = new();
    private readonly List<ArraySegment<byte>> _segments = [];
    private Task _sending = Task.CompletedTask;

    // Writer side: one writer at a time, as for any PipeWriter.
    private SafeFileHandle? _file;
    private long _fileOffset;
    private FileRange? _pendingFile;
    private long _dataWritten;

    // Shared with the sender, under _lock.
    private long _queuedFileBytes;
    private TaskCompletionSource? _fileSent;
    private bool _stopped;
    private bool _flushCanceled;

    public SocketOutput(Socket socket, ConnectionContext connection, KernelFileSender kernel, DownloadCounters counters, long bufferBytes)
    {
        _socket = socket;
        _connection = connection;
        _kernel = kernel;
        _counters = counters;
        _data = new Pipe(new PipeOptions(
            pauseWriterThreshold: bufferBytes, resumeWriterThreshold: bufferBytes / 2, useSynchronizationContext: false));
    }

    /// <summary>Finishes when everything written has been sent, or sending failed and the connection was aborted.</summary>
    public Task Sent => _sending;

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _data.Writer.UnflushedBytes + (_pendingFile?.Count ?? 0);

    /// <summary>Starts sending; called once, before the HTTP layer writes.</summary>
    public void Start() => _sending = Task.Run(SendLoopAsync);

    /// <summary>
    /// This connection's output when the request's response is written straight into it: HTTP/1.x (HTTP/2 frames
    /// every write and multiplexes streams) and nothing between the HTTP layer and this writer (TLS encrypts every
    /// byte, so the kernel cannot send the file as it is on disk).
    /// </summary>
    public static SocketOutput? ServingDirectly(HttpContext http) =>
        http.Features.Get<SocketOutput>() is { } output && output.ServesDirectly(http) ? output : null;

    private bool ServesDirectly(HttpContext http) =>
        !http.Request.IsHttps
        && (HttpProtocol.IsHttp11(http.Request.Protocol) || HttpProtocol.IsHttp10(http.Request.Protocol))
        && ReferenceEquals(_connection.Transport.Output, this);

    /// <summary>
    /// Writes bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="count"/>) of
    /// <paramref name="file"/> as the body through <paramref name="body"/>, the response's own writer, whose headers
    /// (with the Content-Length) must be started already. Returns where the caller must go on copying: the end when
    /// the range is sent or the connection went away, less when the HTTP layer did not hand this writer's memory
    /// through.
    /// </summary>
    public async Task<long> SendFileAsync(PipeWriter body, SafeFileHandle file, long offset, long count, CancellationToken cancellationToken)
    {
        _file = file;
        _fileOffset = offset;
        var end = offset + count;
        try
        {
            while (_fileOffset < end)
            {
                var memory = body.GetMemory((int)Math.Min(FileChunkBytes, end - _fileOffset));
                if (!MemoryMarshal.TryGetArray<byte>(memory, out var array) || !ReferenceEquals(array.Array, Scratch))
                    break;
                body.Advance((int)Math.Min(memory.Length, end - _fileOffset));
                var flushed = await body.FlushAsync(cancellationToken);
                if (flushed.IsCompleted || flushed.IsCanceled)
                    return end;
            }

            return _fileOffset;
        }
        finally
        {
            _file = null;
            // The ranges queued still read the file; it must stay open until the kernel has sent them.
            await WaitForFilesAsync(0, CancellationToken.None);
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) =>
        _file is null ? _data.Writer.GetMemory(sizeHint) : Scratch;

    public override Span<byte> GetSpan(int sizeHint = 0) =>
        _file is null ? _data.Writer.GetSpan(sizeHint) : Scratch;

    public override void Advance(int bytes)
    {
        if (_file is null)
        {
            _data.Writer.Advance(bytes);
            _dataWritten += bytes;
            return;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, FileChunkBytes - (_pendingFile?.Count ?? 0));
        _pendingFile = _pendingFile is { } pending
            ? pending with { Count = pending.Count + bytes }
            : new FileRange(_file, _fileOffset, bytes, _dataWritten);
        _fileOffset += bytes;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        var queued = QueuePendingFile();
        var flush = _data.Writer.FlushAsync(cancellationToken);
        if (!queued)
            return flush;
        // A range with no byte written after it would not wake the sender through the pipe.
        _data.Reader.CancelPendingRead();
        return WaitForFilesAsync(flush, FileQueueBytes, cancellationToken);
    }

    public override void CancelPendingFlush()
    {
        lock (_lock)
        {
            _flushCanceled = true;
            WakeFileWaiter();
        }

        _data.Writer.CancelPendingFlush();
    }

    public override void Complete(Exception? exception = null)
    {
        if (QueuePendingFile())
            _data.Reader.CancelPendingRead();
        _data.Writer.Complete(exception);
    }

    private bool QueuePendingFile()
    {
        if (_pendingFile is not { } range)
            return false;
        _pendingFile = null;
        lock (_lock)
        {
            _files.Enqueue(range);
            _queuedFileBytes += range.Count;
        }

        return true;
    }

    private async ValueTask<FlushResult> WaitForFilesAsync(ValueTask<FlushResult> flush, long limit, CancellationToken cancellationToken)
    {
        var result = await flush;
        if (result.IsCompleted || result.IsCanceled)
            return result;
        return await WaitForFilesAsync(limit, cancellationToken);
    }

    /// <summary>Until at most <paramref name="limit"/> file bytes are queued; completed when the sender stopped.</summary>
    private async ValueTask<FlushResult> WaitForFilesAsync(long limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task sent;
            lock (_lock)
            {
                if (_stopped)
                    return new FlushResult(isCanceled: false, isCompleted: true);
                if (_flushCanceled && limit > 0)
                {
                    _flushCanceled = false;
                    return new FlushResult(isCanceled: true, isCompleted: false);
                }

                if (_queuedFileBytes <= limit)
                    return new FlushResult(isCanceled: false, isCompleted: false);
                _fileSent ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                sent = _fileSent.Task;
            }

            await sent.WaitAsync(cancellationToken);
        }
    }

    private void WakeFileWaiter()
    {
        _fileSent?.TrySetResult();
        _fileSent = null;
    }

    private async Task SendLoopAsync()
    {
        var reader = _data.Reader;
        long sent = 0;
        var corked = false;
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                var buffer = result.Buffer;
                while (NextFile() is { } file && file.DataPosition <= sent + buffer.Length)
                {
                    var before = buffer.Slice(0, file.DataPosition - sent);
                    await SendAsync(before);
                    sent += before.Length;
                    buffer = buffer.Slice(before.Length);
                    if (!corked)
                        corked = Cork(true);
                    await _kernel.SendAsync(_socket, file.File, file.Offset, file.Count);
                    FileSent(file);
                    if (NextFile()?.DataPosition != sent)
                        corked = Cork(false);
                }

                await SendAsync(buffer);
                sent += buffer.Length;
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                    break;
            }
        }
        catch (Exception exception)
        {
            // A reset, a socket Kestrel disposed on abort, or the HTTP layer completing its writer with an error:
            // whatever stopped the sending ends the connection.
            failure = exception;
        }
        finally
        {
            lock (_lock)
            {
                _stopped = true;
                WakeFileWaiter();
            }

            await reader.CompleteAsync(failure);
        }

        if (failure is not null)
            _connection.Abort(new ConnectionAbortedException("The connection's sending failed.", failure));
    }

    /// <summary>
    /// Corked, the socket sends only full segments: each <c>sendfile(2)</c> turn otherwise ends in a segment of its
    /// last few hundred bytes (a turn is no multiple of the segment size), which in the download benchmark made 1.6×
    /// nginx's packets, and its CPU, for the same bytes. nginx corks likewise (<c>tcp_nopush</c>). Uncorking sends
    /// what is held at once, so it is done whenever no file range follows straight on.
    /// </summary>
    private bool Cork(bool on)
    {
        Span<byte> value = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(value, on ? 1 : 0);
        _socket.SetRawSocketOption(TcpLevel, TcpCork, value);
        return on;
    }

    private FileRange? NextFile()
    {
        lock (_lock)
            return _files.TryPeek(out var file) ? file : null;
    }

    private void FileSent(FileRange file)
    {
        _counters.KernelSent(file.Count);
        lock (_lock)
        {
            _files.Dequeue();
            _queuedFileBytes -= file.Count;
            WakeFileWaiter();
        }
    }

    private async ValueTask SendAsync(ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsEmpty)
            return;
        if (bytes.IsSingleSegment)
        {
            await SendAllAsync(bytes.First);
            return;
        }

        _segments.Clear();
        foreach (var memory in bytes)
        {
            if (!MemoryMarshal.TryGetArray(memory, out var segment))
                throw new InvalidOperationException("the output pipe's memory is not array-backed");
            _segments.Add(segment);
        }

        var sent = await _socket.SendAsync(_segments, SocketFlags.None);
        if (sent < bytes.Length)
        {
            foreach (var memory in bytes.Slice(sent))
                await SendAllAsync(memory);
        }
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
            bytes = bytes[await _socket.SendAsync(bytes, SocketFlags.None)..];
    }

    /// <summary><paramref name="Count"/> bytes of <paramref name="File"/> at <paramref name="Offset"/>, sent after the first <paramref name="DataPosition"/> bytes written.</summary>
    private sealed record FileRange(SafeFileHandle File, long Offset, int Count, long DataPosition);
}
