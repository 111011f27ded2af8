namespace EdgeMdm.Cloud.Packages;

/// <summary>Source-generated log messages of the package catalog; event ids 2100–2199 (see <c>Hosting/Log</c>).</summary>
internal static partial class PackageLog
{
    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Tenant {Tenant} published {PackageName} version {VersionCode} ({Sha256}, {SizeBytes} bytes)")]
    public static partial void PackagePublished(ILogger logger, string tenant, string packageName, long versionCode, string sha256, long sizeBytes);
}
