using Microsoft.Extensions.Logging;

namespace EdgeMdm.Edge.Approvals;

/// <summary>Source-generated log messages of dangerous actions at the site; event ids 1220–1229.</summary>
internal static partial class ApprovalLog
{
    [LoggerMessage(EventId = 1220, Level = LogLevel.Warning, Message = "Approval {ApprovalId} requested by {Actor}: {Type} of {Devices} devices ({Target}) waits for a second person until {ExpiresAt}")]
    public static partial void Requested(ILogger logger, string approvalId, string actor, string type, int devices, string target, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 1221, Level = LogLevel.Warning, Message = "Approval {ApprovalId} granted by {Approver}: {Commands} {Type} commands queued")]
    public static partial void Granted(ILogger logger, string approvalId, string approver, int commands, string type);

    [LoggerMessage(EventId = 1222, Level = LogLevel.Warning, Message = "Approval {ApprovalId} refused to {Approver}: {Why}")]
    public static partial void Refused(ILogger logger, string approvalId, string approver, string why);
}
