using EdgeMdm.Domain.Blueprints;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Agent.Tests;

internal static class TestData
{
    public static readonly DateTimeOffset Start = new(2025, 6, 2, 6, 0, 0, TimeSpan.Zero);

    public static FakeTimeProvider Clock() => new(Start);

    /// <summary>
    /// Upgrades the preloaded sample app, adds a new app, a configuration and a certificate: four steps,
    /// none of which a fresh device has done.
    /// </summary>
    public static DeclarationsDocument FloorDeclarations() => new Blueprint(
        "floor",
        [
            new RequiredApp("com.edgemdm.sample.scanner", 200, "2.0.0"),
            new RequiredApp("com.acme.pick", 310, "3.1.0"),
        ],
        new OsFloor("13", null),
        [new ConfigurationPayload("wifi", new Dictionary<string, string>(StringComparer.Ordinal) { ["ssid"] = "WH-FLOOR", ["security"] = "wpa3" })],
        [new CertificateRule("wifi-client", 30)],
        80).ToDeclarations();

    public static DeviceCommand Command(string id, string type, params (string Key, string Value)[] parameters) =>
        new(id, type, parameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal), ExpiresAt: null);

    /// <summary>A device with plenty of free storage, so installs fail only when a test wants them to.</summary>
    public static VirtualDevice Device(FakeTimeProvider clock, string serial = "TEST0001", int seed = 42)
    {
        var device = new VirtualDevice(serial, seed, clock);
        device.SetFreeBytes(8L * 1024 * 1024 * 1024);
        return device;
    }

    /// <summary>
    /// A device with this battery level, in or out of the cradle for the next four hours, so that the battery
    /// moves one way only while a test watches it.
    /// </summary>
    public static VirtualDevice Device(FakeTimeProvider clock, int batteryLevel, bool docked)
    {
        var device = Device(clock);
        device.SetBatteryLevel(batteryLevel);
        device.ForceDock(docked, TimeSpan.FromHours(4));
        return device;
    }

    /// <summary>One check-in the appliance accepted: returns the delta it carried, which the device now counts as delivered.</summary>
    public static DeviceStatus CheckIn(VirtualDevice device)
    {
        var delta = device.BuildStatusDelta();
        device.Acknowledge();
        return delta;
    }

    /// <summary>Moves the clock in steps, letting the device observe each one, until done or the limit.</summary>
    public static void RunUntil(FakeTimeProvider clock, VirtualDevice device, Func<bool> done, TimeSpan limit, TimeSpan step)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < limit && !done(); elapsed += step)
        {
            clock.Advance(step);
            CheckIn(device);
        }
    }
}
