namespace EdgeMdm.Cloud.Hosting;

/// <summary>Source-generated log messages; event ids 2000–2099 belong to hosting and sync, 2100–2199 to the REST API.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Sync call {Method} from {Peer} refused: {Reason}")]
    public static partial void SiteUnauthenticated(ILogger logger, string method, string peer, string reason);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Site {Site}'s credential asked for site {Claimed}: refused")]
    public static partial void SiteForbidden(ILogger logger, string site, string claimed);

    // Debug: a site says hello every sync round (seconds apart); the site list shows the last sync instead.
    [LoggerMessage(EventId = 2020, Level = LogLevel.Debug, Message = "Site {Site} said hello (appliance {Version}): applied through {AppliedThrough}, feed head {FeedHead}")]
    public static partial void SiteHello(ILogger logger, string site, string version, ulong appliedThrough, ulong feedHead);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Debug, Message = "Site {Site} pushed {Changes} changes: applied through {AppliedThrough}")]
    public static partial void SitePushed(ILogger logger, string site, int changes, ulong appliedThrough);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Debug, Message = "Site {Site} pulled after {After}: {Changes} changes, through {Through}")]
    public static partial void SitePulled(ILogger logger, string site, ulong after, int changes, ulong through);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Information, Message = "Site {Site}'s push stream broke ({Reason}); it resumes from its last acknowledgement")]
    public static partial void SitePushCut(ILogger logger, string site, string reason);

    [LoggerMessage(EventId = 2100, Level = LogLevel.Warning, Message = "REST call {Method} {Path} refused: {Reason}")]
    public static partial void ApiUnauthenticated(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Sign-in of {User} in tenant {Tenant} refused")]
    public static partial void SignInRefused(ILogger logger, string tenant, string user);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Sign-in of {User} in tenant {Tenant} from {Address} throttled after too many failures")]
    public static partial void SignInThrottled(ILogger logger, string tenant, string user, string address);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Tenant {Tenant} published {PackageName} version {VersionCode} ({Sha256}, {SizeBytes} bytes)")]
    public static partial void PackagePublished(ILogger logger, string tenant, string packageName, long versionCode, string sha256, long sizeBytes);

    [LoggerMessage(EventId = 2024, Level = LogLevel.Debug, Message = "Site {Site} fetched blob {Sha256} from byte {Offset}: {Bytes} bytes")]
    public static partial void SiteFetchedBlob(ILogger logger, string site, string sha256, ulong offset, long bytes);

    [LoggerMessage(EventId = 2025, Level = LogLevel.Error, Message = "Blob {Sha256} is in the catalog but missing from the blob directory {Directory}")]
    public static partial void BlobMissing(ILogger logger, string sha256, string directory);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Package blobs are kept in {Directory}; with PostgreSQL set Cloud:BlobDirectory to a directory every replica shares")]
    public static partial void BlobDirectoryDefaulted(ILogger logger, string directory);
}
