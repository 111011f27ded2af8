using EdgeMdm.Domain.Floor;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Cradles;

/// <summary>
/// The one model of the site's cradles: the stored observations of every source merged per slot by
/// <see cref="SlotMerge"/>, with the LEDs picks lit. Reads the data directory only, so an operator command sees what the
/// serving appliance sees; the serving appliance drives the LEDs from the same rows (<see cref="CradleLedDriver"/>).
/// </summary>
internal sealed class CradleFloor(
    CradleStore store,
    EdgeStorage storage,
    IOptions<CradleOptions> options,
    IOptions<EdgeOptions> edge,
    IDeviceQueries devices,
    CradleLedDriver leds,
    TimeProvider clock) : ICradleFloor
{
    /// <summary>How old a device report may be before a cradle's "empty" overrides it.</summary>
    public TimeSpan Staleness => TimeSpan.FromSeconds(options.Value.DeviceReportStaleSeconds ?? 2 * edge.Value.CheckinIntervalSeconds);

    public IReadOnlyList<CradleView> Cradles()
    {
        var now = clock.GetUtcNow();
        var observations = store.Observations();
        var lit = store.Leds().ToDictionary(l => (l.CradleId, l.Slot));
        var byCradle = observations.ToLookup(o => o.CradleId, StringComparer.Ordinal);
        var views = new List<CradleView>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, slots, gpio) in options.Value.Configured())
        {
            known.Add(id);
            views.Add(View(id, gpio ? CradleSource.Gpio : CradleSource.Mqtt, slots, byCradle[id], lit, now));
        }

        // Cradles only devices speak of (a dumb cradle the device reads its place from).
        foreach (var reported in byCradle.Where(g => !known.Contains(g.Key)).OrderBy(g => g.Key, StringComparer.Ordinal))
            views.Add(View(reported.Key, CradleSource.Device, reported.Max(o => o.Slot), reported, lit, now));
        return views;
    }

    public SlotView? SlotOf(string serial)
    {
        ArgumentNullException.ThrowIfNull(serial);
        return Cradles().SelectMany(c => c.Slots)
            .Where(s => s.Content != SlotContent.Empty && string.Equals(s.Serial, serial, StringComparison.Ordinal))
            .OrderByDescending(s => s.ObservedAt)
            .FirstOrDefault();
    }

    public async Task<SlotView?> PickAsync(string serial, CancellationToken cancellationToken)
    {
        if (SlotOf(serial) is not { } slot)
            return null;
        // A cradle only devices report has no LED to light.
        if (!options.Value.Configured().Any(c => string.Equals(c.Id, slot.CradleId, StringComparison.Ordinal)))
            return slot;
        await storage.WriteAsync(unit =>
        {
            CradleStore.Light(unit, slot.CradleId, slot.Slot, serial, clock.GetUtcNow());
            return true;
        });
        await leds.ReconcileAsync(cancellationToken);
        return slot with { LedOn = true };
    }

    public async Task ClearPickAsync(string serial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serial);
        var lit = store.Leds().Where(l => string.Equals(l.Serial, serial, StringComparison.Ordinal)).ToList();
        if (lit.Count == 0)
            return;
        await storage.WriteAsync(unit =>
        {
            foreach (var led in lit)
                CradleStore.Unlight(unit, led.CradleId, led.Slot);
            return true;
        });
        await leds.ReconcileAsync(cancellationToken);
    }

    private CradleView View(
        string id, CradleSource source, int slotCount, IEnumerable<StoredObservation> observations, Dictionary<(string, int), LitLed> lit, DateTimeOffset now)
    {
        var bySlot = observations.ToLookup(o => o.Slot);
        var slots = new List<SlotView>(slotCount);
        for (var n = 1; n <= slotCount; n++)
        {
            var stored = bySlot[n].ToList();
            var merged = SlotMerge.Merge([.. stored.Select(o => o.Observation)], now, Staleness);
            var ledOn = lit.ContainsKey((id, n));
            slots.Add(merged is null
                ? new SlotView(id, n, SlotContent.Empty, null, null, null, null, null, ledOn, source, null)
                : new SlotView(
                    id, n, Content(merged.Holding), merged.Serial, DeviceIdOf(merged, stored), merged.ChargePercent, merged.Charging, merged.Fault, ledOn,
                    Source(merged.Source), merged.ObservedAt));
        }

        return new CradleView(id, source, slotCount, slots);
    }

    /// <summary>The enrolled device the slot's serial names: known at once from a device report, else asked of Devices.</summary>
    private string? DeviceIdOf(MergedSlot merged, List<StoredObservation> stored)
    {
        if (merged.Holding != SlotHolding.Device || merged.Serial is not { } serial)
            return null;
        if (stored.Find(o => o.DeviceId is not null && string.Equals(o.Observation.Serial, serial, StringComparison.Ordinal)) is { } reported)
            return reported.DeviceId;
        return devices.Find(serial) is { } device && string.Equals(device.Serial, serial, StringComparison.Ordinal) ? device.Id : null;
    }

    internal static SlotContent Content(SlotHolding holding) => holding switch
    {
        SlotHolding.Device => SlotContent.Device,
        SlotHolding.Battery => SlotContent.Battery,
        _ => SlotContent.Empty,
    };

    internal static CradleSource Source(SlotSource source) => source switch
    {
        SlotSource.Gpio => CradleSource.Gpio,
        SlotSource.Mqtt => CradleSource.Mqtt,
        _ => CradleSource.Device,
    };
}
