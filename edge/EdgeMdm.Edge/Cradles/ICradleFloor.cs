using System.Text.Json.Serialization;

namespace EdgeMdm.Edge.Cradles;

/// <summary>Where an observation of a slot came from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CradleSource>))]
public enum CradleSource
{
    /// <summary>A cradle wired to the appliance's GPIO pins: occupied or empty, and an LED; it cannot read serials.</summary>
    Gpio,

    /// <summary>A networked smart cradle publishing to the appliance's MQTT broker.</summary>
    Mqtt,

    /// <summary>What a device said of itself at check-in (docked, in which cradle and slot, its charge).</summary>
    Device,
}

/// <summary>What sits in a slot.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SlotContent>))]
public enum SlotContent
{
    Empty,
    Device,
    Battery,
}

/// <summary>
/// One slot as the floor model merges its sources (Cradles' rule, README "Cradles"): occupied or not, what it holds
/// (a device's or a spare battery's <see cref="Serial"/> when a source knows it, with the device's id when that serial
/// is an enrolled device), its charge, whether its LED is lit, which source said so last and when.
/// </summary>
public sealed record SlotView(
    string CradleId,
    int Slot,
    SlotContent Content,
    string? Serial,
    string? DeviceId,
    int? ChargePercent,
    bool? Charging,
    string? Fault,
    bool LedOn,
    CradleSource Source,
    DateTimeOffset? ObservedAt);

/// <summary>A cradle and its slots, 1 to N.</summary>
public sealed record CradleView(string CradleId, CradleSource Source, int SlotCount, IReadOnlyList<SlotView> Slots);

/// <summary>
/// The site's cradles as one model, whatever feeds them (GPIO, MQTT, device reports). Declared by Cradles, used by
/// Spares (pick a spare: light its slot) and by Batteries (where a device was last docked).
/// </summary>
public interface ICradleFloor
{
    /// <summary>Every configured or reporting cradle with its merged slots.</summary>
    IReadOnlyList<CradleView> Cradles();

    /// <summary>The slot that holds <paramref name="serial"/> (a device or a battery) now; null when no cradle holds it.</summary>
    SlotView? SlotOf(string serial);

    /// <summary>
    /// Lights the LED of the slot holding <paramref name="serial"/> ("pick this one"); the LED goes off when the slot
    /// is emptied, or with <see cref="ClearPickAsync"/>. Returns the slot, or null when no cradle holds the serial
    /// (nothing is lit).
    /// </summary>
    Task<SlotView?> PickAsync(string serial, CancellationToken cancellationToken);

    /// <summary>Turns off the LED a pick of <paramref name="serial"/> lit, if it is still lit.</summary>
    Task ClearPickAsync(string serial, CancellationToken cancellationToken);
}
