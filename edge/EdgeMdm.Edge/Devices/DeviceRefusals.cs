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

    /// <param name="what">What the device may not do, e.g. "downloads no packages".</param>
    public static Refusal Quarantined(DeviceRecord device, string what)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new Refusal(RefusalKind.Forbidden, "Device quarantined", $"device {device.Serial} is quarantined and {what} until it leaves quarantine");
    }
}
