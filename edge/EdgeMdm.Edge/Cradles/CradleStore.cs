using EdgeMdm.Domain.Floor;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Cradles;

/// <summary>One source's latest observation of one slot, as stored (table <c>cradle_observations</c>).</summary>
internal sealed record StoredObservation(string CradleId, int Slot, SlotObservation Observation, string? DeviceId);

/// <summary>An LED a pick lit (table <c>cradle_leds</c>).</summary>
internal sealed record LitLed(string CradleId, int Slot, string Serial, DateTimeOffset LitAt);

/// <summary>
/// Cradle observations and lit LEDs. Only the latest observation per cradle, slot and source is kept (the primary key);
/// writes run in the caller's unit on the writer's thread.
/// </summary>
internal sealed class CradleStore(EdgeStorage storage)
{
    public IReadOnlyList<StoredObservation> Observations() =>
        storage.Read(db => db.Query<ObservationRow>(
            "SELECT cradle_id AS CradleId, slot AS Slot, source AS Source, content AS Content, serial AS Serial, device_id AS DeviceId, " +
            "charge AS Charge, charging AS Charging, fault AS Fault, observed_at AS ObservedAt FROM cradle_observations ORDER BY cradle_id, slot"))
        .Select(r => r.ToStored()).ToList();

    public IReadOnlyList<LitLed> Leds() =>
        storage.Read(db => db.Query<LedRow>("SELECT cradle_id AS CradleId, slot AS Slot, serial AS Serial, lit_at AS LitAt FROM cradle_leds"))
        .Select(r => new LitLed(r.CradleId, (int)r.Slot, r.Serial, DateTimeOffset.FromUnixTimeMilliseconds(r.LitAt))).ToList();

    public static void Record(UnitOfWork unit, string cradleId, int slot, SlotObservation observation, string? deviceId)
    {
        ArgumentNullException.ThrowIfNull(observation);
        unit.Db.Execute(
            "INSERT OR REPLACE INTO cradle_observations (cradle_id, slot, source, content, serial, device_id, charge, charging, fault, observed_at) " +
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            cradleId, slot, SourceText(observation.Source), HoldingText(observation.Holding), observation.Serial, deviceId,
            observation.ChargePercent, observation.Charging is { } charging ? (charging ? 1 : 0) : null, observation.Fault,
            observation.ObservedAt.ToUnixTimeMilliseconds());
    }

    /// <summary>Forgets what a device said of the slot it was docked in, wherever that was.</summary>
    public static void ForgetDevice(UnitOfWork unit, string deviceId) =>
        unit.Db.Execute("DELETE FROM cradle_observations WHERE device_id = ? AND source = 'device'", deviceId);

    /// <summary>Whether the device's report already says it sits in this slot (an unchanged report writes nothing).</summary>
    public static string? DeviceSlot(UnitOfWork unit, string deviceId) =>
        unit.Db.ExecuteScalar<string?>("SELECT cradle_id || '/' || slot FROM cradle_observations WHERE device_id = ? AND source = 'device'", deviceId);

    public static void Light(UnitOfWork unit, string cradleId, int slot, string serial, DateTimeOffset now) =>
        unit.Db.Execute("INSERT OR REPLACE INTO cradle_leds (cradle_id, slot, serial, lit_at) VALUES (?, ?, ?, ?)", cradleId, slot, serial, now.ToUnixTimeMilliseconds());

    /// <summary>True when an LED was lit there.</summary>
    public static bool Unlight(UnitOfWork unit, string cradleId, int slot) =>
        unit.Db.Execute("DELETE FROM cradle_leds WHERE cradle_id = ? AND slot = ?", cradleId, slot) > 0;

    public static string SourceText(SlotSource source) => source switch
    {
        SlotSource.Gpio => "gpio",
        SlotSource.Mqtt => "mqtt",
        _ => "device",
    };

    public static string HoldingText(SlotHolding holding) => holding switch
    {
        SlotHolding.Device => "device",
        SlotHolding.Battery => "battery",
        _ => "empty",
    };

    private sealed class ObservationRow
    {
        public string CradleId { get; set; } = "";

        public long Slot { get; set; }

        public string Source { get; set; } = "";

        public string Content { get; set; } = "";

        public string? Serial { get; set; }

        public string? DeviceId { get; set; }

        public long? Charge { get; set; }

        public long? Charging { get; set; }

        public string? Fault { get; set; }

        public long ObservedAt { get; set; }

        public StoredObservation ToStored() => new(
            CradleId,
            (int)Slot,
            new SlotObservation(
                Source switch { "gpio" => SlotSource.Gpio, "mqtt" => SlotSource.Mqtt, _ => SlotSource.Device },
                Content switch { "device" => SlotHolding.Device, "battery" => SlotHolding.Battery, _ => SlotHolding.Empty },
                Serial,
                Charge is { } charge ? (int)charge : null,
                Charging is { } charging ? charging != 0 : null,
                Fault,
                DateTimeOffset.FromUnixTimeMilliseconds(ObservedAt)),
            DeviceId);
    }

    private sealed class LedRow
    {
        public string CradleId { get; set; } = "";

        public long Slot { get; set; }

        public string Serial { get; set; } = "";

        public long LitAt { get; set; }
    }
}
