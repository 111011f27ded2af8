using System.Text.Json;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Cloud.Tests;

/// <summary>Devices of a rollout as a site reports them, for the rollout report tests.</summary>
internal static class RolloutDevices
{
    /// <summary>A picker's enrollment and one status report (com.acme.scan at <paramref name="installed"/>), numbered from <paramref name="sequence"/>.</summary>
    public static SiteChange[] Reporting(ulong sequence, string deviceId, long installed, DateTimeOffset lastCheckIn)
    {
        var status = new DeviceStatus
        {
            Apps = [new InstalledApp { PackageName = "com.acme.scan", VersionCode = installed }],
            Os = new OsStatus { Version = "14" },
        };
        return
        [
            new SiteChange { Sequence = sequence, DeviceId = deviceId, Enrolled = new() { Serial = "SN-" + deviceId, Group = "pickers", OsVersion = "14" } },
            new SiteChange
            {
                Sequence = sequence + 1, DeviceId = deviceId,
                Status = new() { StatusJson = JsonSerializer.Serialize(status, DeviceProtocolJson.Default.DeviceStatus), LastCheckinUnixMs = lastCheckIn.ToUnixTimeMilliseconds() },
            },
        ];
    }
}
