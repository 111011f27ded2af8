using Microsoft.Extensions.Logging;

namespace EdgeMdm.Edge.Checkin;

internal static partial class CheckinLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning,
        Message = "Device {DeviceId} holds declaration set version {HeldVersion}, above this appliance's {StoredVersion} (edge.db restored from an older copy?): its versions go on from {HeldVersion}")]
    public static partial void VersionBehindDevice(ILogger logger, string deviceId, long heldVersion, long storedVersion);
}
