using Microsoft.Extensions.Logging;

namespace EdgeMdm.Edge.Commands;

/// <summary>Source-generated log messages of commands at the site; event ids 1200–1209.</summary>
internal static partial class CommandLog
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Command {CommandId} {Type} queued at the site for device {DeviceId} by {Actor}")]
    public static partial void CommandQueued(ILogger logger, string commandId, string type, string deviceId, string actor);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Command {CommandId} {Type} from the hub queued for device {DeviceId} by {Actor}")]
    public static partial void HubCommandQueued(ILogger logger, string commandId, string type, string deviceId, string actor);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Command {CommandId} {Type} from the hub for device {DeviceId} refused: {Reason}")]
    public static partial void HubCommandRefused(ILogger logger, string commandId, string type, string deviceId, string reason);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "Command {CommandId} {Type} sent to device {DeviceId} at its check-in")]
    public static partial void CommandSent(ILogger logger, string commandId, string type, string deviceId);
}
