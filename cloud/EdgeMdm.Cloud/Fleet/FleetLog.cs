namespace EdgeMdm.Cloud.Fleet;

/// <summary>Source-generated log messages of the fleet's REST calls; event ids 2140–2144 (see <c>Hosting/Log</c>).</summary>
internal static partial class FleetLog
{
    [LoggerMessage(EventId = 2140, Level = LogLevel.Information, Message = "Command {CommandId} {Type} queued for device {DeviceId} at site {SiteId} by {User}: {Reason}")]
    public static partial void CommandSent(ILogger logger, string commandId, string type, string deviceId, string siteId, string user, string reason);

    [LoggerMessage(EventId = 2141, Level = LogLevel.Information, Message = "Command {Type} queued for {Count} devices of group {Group} by {User}: {Reason}")]
    public static partial void GroupCommandSent(ILogger logger, string type, int count, string group, string user, string reason);

    [LoggerMessage(EventId = 2142, Level = LogLevel.Warning, Message = "Approval {ApprovalId} requested by {User}: {Type} of {Count} devices ({Target}) waits for a second person until {ExpiresAt}")]
    public static partial void ApprovalRequested(ILogger logger, string approvalId, string user, string type, int count, string target, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 2143, Level = LogLevel.Warning, Message = "Approval {ApprovalId} granted by {User}: {Count} {Type} commands queued")]
    public static partial void ApprovalGranted(ILogger logger, string approvalId, string user, int count, string type);
}
