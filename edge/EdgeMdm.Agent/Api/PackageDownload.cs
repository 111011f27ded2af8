namespace EdgeMdm.Agent;

/// <summary>How a package download ended when it did not fail.</summary>
public enum PackageDownloadStatus
{
    /// <summary>The part file holds the whole body the appliance sent; it is not verified yet.</summary>
    Completed,

    /// <summary>
    /// 503: the site has not cached the package yet. Not a failure of the package: try again after
    /// <see cref="PackageDownload.RetryAfter"/>.
    /// </summary>
    NotYetAvailable,
}

/// <param name="BytesReceived">Body bytes read from the network by this call (0 for a part that was already whole).</param>
/// <param name="Resumed">The appliance answered 206 and the body was appended to what the part file held.</param>
/// <param name="RetryAfter">For <see cref="PackageDownloadStatus.NotYetAvailable"/>: the appliance's Retry-After, or a default.</param>
public sealed record PackageDownload(PackageDownloadStatus Status, long BytesReceived, bool Resumed, TimeSpan RetryAfter)
{
    public static PackageDownload Completed(long bytesReceived, bool resumed) => new(PackageDownloadStatus.Completed, bytesReceived, resumed, TimeSpan.Zero);

    public static PackageDownload NotYetAvailable(TimeSpan retryAfter) => new(PackageDownloadStatus.NotYetAvailable, 0, Resumed: false, retryAfter);
}

/// <summary>The appliance sent more bytes than the manifest's size: the download was stopped and its part deleted.</summary>
public sealed class PackageTooLargeException : IOException
{
    public PackageTooLargeException()
        : this("the appliance sent more bytes than the package's size")
    {
    }

    public PackageTooLargeException(string message)
        : base(message)
    {
    }

    public PackageTooLargeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
