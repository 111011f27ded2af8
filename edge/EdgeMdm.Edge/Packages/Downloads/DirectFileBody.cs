using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Win32.SafeHandles;

namespace EdgeMdm.Edge.Packages;

/// <summary>
/// The response body of a package download, sending the file for less than Kestrel's own
/// <see cref="IHttpResponseBodyFeature.SendFileAsync"/> (which reads each 64 KiB into a rented buffer on a
/// thread-pool hop and copies it again into the response pipe): each chunk is read once, straight into the response
/// pipe's own memory (which TLS then encrypts), on threads below normal priority. Everything else (status, headers,
/// Range and conditional handling, which ASP.NET Core's file result does before calling this) is the wrapped feature's.
/// </summary>
internal sealed class DirectFileBody(IHttpResponseBodyFeature inner, CopierThreads copier, DownloadCounters counters)
    : IHttpResponseBodyFeature
{
    /// <summary>
    /// Copy chunk: large enough that per-chunk costs (a flush, a wake of the transport) vanish next to the copy,
    /// small enough that 32 concurrent downloads hold a few MiB between them (the pipe pauses the writer until it drains).
    /// </summary>
    internal const int ChunkBytes = 256 * 1024;

    public Stream Stream => inner.Stream;

    public PipeWriter Writer => inner.Writer;

    /// <summary>Puts this body in front of the request's own for the rest of the request.</summary>
    public static void Use(HttpContext http, CopierThreads copier, DownloadCounters counters)
    {
        var current = http.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        if (current is not DirectFileBody)
            http.Features.Set<IHttpResponseBodyFeature>(new DirectFileBody(current, copier, counters));
    }

    public void DisableBuffering() => inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task CompleteAsync() => inner.CompleteAsync();

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        var length = RandomAccess.GetLength(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, length);
        var end = offset + (count ?? length - offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(end, length, nameof(count));

        if (offset < end)
            await copier.Run(() => CopyAsync(file, offset, end, cancellationToken), cancellationToken);
    }

    private async Task CopyAsync(SafeFileHandle file, long offset, long end, CancellationToken cancellationToken)
    {
        var writer = inner.Writer;
        while (offset < end)
        {
            var memory = writer.GetMemory((int)Math.Min(ChunkBytes, end - offset));
            var wanted = (int)Math.Min(memory.Length, end - offset);
            var read = RandomAccess.Read(file, memory.Span[..wanted], offset);
            if (read == 0)
                throw new IOException($"the file ended at {offset} bytes while {end - offset} more were promised");
            writer.Advance(read);
            counters.Copied(read);
            offset += read;
            var flushed = await writer.FlushAsync(cancellationToken);
            if (flushed.IsCanceled || flushed.IsCompleted)
                return;
        }
    }
}
