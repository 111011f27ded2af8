namespace EdgeMdm.Edge.Packages;

/// <summary>
/// How the bytes of package downloads left the appliance since it started: sent by the kernel straight from the
/// file (<see cref="SocketOutput"/>) or copied through the process (TLS, HTTP/2, or no socket to hand the file to).
/// </summary>
internal sealed class DownloadCounters
{
    private long _kernelBytes;
    private long _copiedBytes;

    public long KernelBytes => Interlocked.Read(ref _kernelBytes);

    public long CopiedBytes => Interlocked.Read(ref _copiedBytes);

    public void KernelSent(long bytes) => Interlocked.Add(ref _kernelBytes, bytes);

    public void Copied(long bytes) => Interlocked.Add(ref _copiedBytes, bytes);
}
