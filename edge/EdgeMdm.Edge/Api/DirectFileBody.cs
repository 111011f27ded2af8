using System.IO.Pipelines;
using EdgeMdm.Edge.Packages;
using Microsoft.AspNetCore.Http.Features;

namespace EdgeMdm.Edge.Api;

/// <summary>
/// The response body of a package download, with a file copy that costs less than Kestrel's own. Kestrel has no
/// <c>sendfile(2)</c>: its <see cref="IHttpResponseBodyFeature.SendFileAsync"/> reads each 64 KiB into a rented
/// buffer on a thread-pool hop and then copies it again into the response pipe. Here each chunk is read once,
/// straight into the pipe's own memory, in larger chunks. Everything else (status, headers, Range and
/// conditional handling, which ASP.NET Core's file result does before calling this) is the wrapped feature's.
/// </summary>
internal sealed class DirectFileBody(IHttpResponseBodyFeature inner, BackgroundPriorityScheduler copier) : IHttpResponseBodyFeature
{
    /// <summary>
    /// Large enough that per-chunk costs (a flush, a wake of the transport) vanish next to the copy, small enough
    /// that 32 concurrent downloads hold a few MiB between them (the pipe pauses the writer until it drains).
    /// </summary>
    internal const int ChunkBytes = 256 * 1024;

    public Stream Stream => inner.Stream;

    public PipeWriter Writer => inner.Writer;

    /// <summary>Puts this body in front of the request's own for the rest of the request.</summary>
    public static void Use(HttpContext http, BackgroundPriorityScheduler copier)
    {
        var current = http.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        if (current is not DirectFileBody)
            http.Features.Set<IHttpResponseBodyFeature>(new DirectFileBody(current, copier));
    }

    public void DisableBuffering() => inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task CompleteAsync() => inner.CompleteAsync();

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        copier.Run(() => CopyAsync(path, offset, count, cancellationToken), cancellationToken);

    private async Task CopyAsync(string path, long offset, long? count, CancellationToken cancellationToken)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        var length = RandomAccess.GetLength(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, length);
        var remaining = count ?? length - offset;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(remaining, length - offset, nameof(count));

        var writer = inner.Writer;
        while (remaining > 0)
        {
            var memory = writer.GetMemory((int)Math.Min(ChunkBytes, remaining));
            var wanted = (int)Math.Min(memory.Length, remaining);
            var read = RandomAccess.Read(file, memory.Span[..wanted], offset);
            if (read == 0)
                throw new IOException($"{path} ended at {offset} bytes while {remaining} more were promised");
            writer.Advance(read);
            offset += read;
            remaining -= read;
            var flushed = await writer.FlushAsync(cancellationToken);
            if (flushed.IsCanceled || flushed.IsCompleted)
                return;
        }
    }
}
