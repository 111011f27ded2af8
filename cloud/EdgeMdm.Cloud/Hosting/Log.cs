namespace EdgeMdm.Cloud.Hosting;

/// <summary>
/// Source-generated log messages of hosting. Event ids 2000–2099 belong to hosting and sync (<c>Sync/SyncLog</c>),
/// 2100–2199 to the REST API (<c>Api/ApiLog</c>, <c>Accounts/AccountLog</c>, <c>Packages/PackageLog</c>; 2140–2144
/// <c>Fleet/FleetLog</c>, 2145–2149 <c>SiteUsers/SiteUserLog</c>).
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Package blobs are kept in {Directory}; with PostgreSQL set Cloud:BlobDirectory to a directory every replica shares")]
    public static partial void BlobDirectoryDefaulted(ILogger logger, string directory);
}
