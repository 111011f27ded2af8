using System.Device.Gpio;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Floor;
using EdgeMdm.Edge.Checkin;
using EdgeMdm.Edge.Cradles.Gpio;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Cradles;

/// <summary>
/// The third source: what a device says of itself. When a check-in reports its battery, the device's docked state
/// decides: docked with a place (<c>dockedAt</c>: cradle and slot) records that slot's device observation (its serial,
/// charge and charging) and forgets any other slot it was in; not docked, or docked without a place, forgets its slot.
/// With the simulated GPIO driver and <c>FollowDeviceReports</c>, a dock in a GPIO cradle also closes that slot's
/// switch, and leaving it opens it.
/// </summary>
internal sealed class DockObserver(IOptions<CradleOptions> options, GpioCradleBay gpio, IServiceProvider services) : ICheckinObserver
{
    public void Observe(UnitOfWork unit, DeviceRecord device, DeviceStatus previous, DeviceStatus changes, DeviceStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(status);
        // A device that was in no slot and is in none now has nothing to record or forget: the everyday check-in of a
        // device on the floor (and every check-in of a site without intelligent cradles) writes nothing here.
        if (changes.Battery is null || (Place(previous.Battery) is null && Place(status.Battery) is null))
            return;
        var battery = status.Battery;
        var follow = options.Value.Gpio.Simulated.FollowDeviceReports;
        var before = follow ? CradleStore.DeviceSlot(unit, device.Id) : null;
        CradleStore.ForgetDevice(unit, device.Id);
        string? after = null;
        if (battery is { Docked: not false, DockedAt: { CradleId: { } cradleId, Slot: { } slot } }
            && MqttTopics.IsValidClientId(cradleId) && slot is >= 1 and <= CradleOptionsValidator.MaxSlots)
        {
            CradleStore.Record(
                unit, cradleId, slot,
                new SlotObservation(SlotSource.Device, SlotHolding.Device, device.Serial, battery.Level, battery.Charging, null, now),
                device.Id);
            after = cradleId + "/" + slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (follow && !string.Equals(before, after, StringComparison.Ordinal))
            unit.OnCommitted(() => Follow(before, after));
    }

    private static DockLocation? Place(BatteryStatus? battery) =>
        battery is { Docked: not false, DockedAt: { CradleId: not null, Slot: not null } place } ? place : null;

    /// <summary>The device left <paramref name="before"/> (its switch opens) and sits in <paramref name="after"/> (it closes).</summary>
    private void Follow(string? before, string? after)
    {
        if (services.GetService<SimulatedGpioDriver>() is not { } driver)
            return;
        // Off the writer's thread: the switch's edge callback starts a debounce, which stores through the writer.
        _ = Task.Run(() =>
        {
            if (Input(before) is { } opened)
                driver.SetInput(opened, PinValue.High);
            if (Input(after) is { } closed)
                driver.SetInput(closed, PinValue.Low);
        });
    }

    private int? Input(string? place)
    {
        if (place is null)
            return null;
        var slash = place.LastIndexOf('/');
        return gpio.InputOf(place[..slash], int.Parse(place[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
