using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Agent;

public static class DeviceStatusExtensions
{
    /// <summary>True when the status carries no item at all: "nothing changed".</summary>
    public static bool IsEmpty(this DeviceStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status is
        {
            Apps: null, Os: null, Battery: null, Storage: null, Wifi: null,
            Configurations: null, Certificates: null, Staging: null, DeclarationsVerification: null,
        };
    }
}
