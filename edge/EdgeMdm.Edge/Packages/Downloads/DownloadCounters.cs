namespace EdgeMdm.Edge.Packages;

/// <summary>Package bytes the appliance has copied to downloading devices since it started (<see cref="DirectFileBody"/>).</summary>
internal sealed class DownloadCounters
{
    private long _copiedBytes;

    public long CopiedBytes => Interlocked.Read(ref _copiedBytes);

    public void Copied(long bytes) => Interlocked.Add(ref _copiedBytes, bytes);
}
