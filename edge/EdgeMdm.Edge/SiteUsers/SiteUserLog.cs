using Microsoft.Extensions.Logging;

namespace EdgeMdm.Edge.SiteUsers;

/// <summary>Source-generated log messages of site users as the hub feeds them down; event ids 1210–1219. Never a password or hash.</summary>
internal static partial class SiteUserLog
{
    [LoggerMessage(EventId = 1210, Level = LogLevel.Information, Message = "Site user {UserName} applied from the hub as {Role}")]
    public static partial void SiteUserApplied(ILogger logger, string userName, string role);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Information, Message = "Site user {UserName} removed as the hub says")]
    public static partial void SiteUserRemoved(ILogger logger, string userName);
}
