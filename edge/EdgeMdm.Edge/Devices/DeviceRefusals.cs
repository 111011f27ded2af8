using EdgeMdm.Domain.Outcomes;

namespace EdgeMdm.Edge.Devices;

/// <summary>The refusals every device request may meet, worded once.</summary>
public static class DeviceRefusals
{
    public static readonly Refusal UnknownSecret =
        new(RefusalKind.Unauthorized, "Unknown device credential", "the bearer secret matches no enrolled device; enroll again");

    public static Refusal Retired(DeviceRecord device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new Refusal(RefusalKind.Forbidden, "Device retired", $"device {device.Serial} is retired");
    }
}
