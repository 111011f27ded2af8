namespace EdgeMdm.Contracts.Cradles;

/// <summary>
/// What a networked cradle reports for one slot (topic <c>edgemdm/cradles/{cradleId}/slots/{n}</c>), as
/// <see cref="CradleTelemetryCodec"/> reads and writes it. A plain class in the part of C# that .NET nanoFramework
/// runs, so a cradle's firmware can compile this file and the codec as they are: no generics, no nullable value types.
/// </summary>
public sealed class SlotTelemetry
{
    /// <summary>Battery level when the payload carries none (<c>"battery": null</c> or absent).</summary>
    public const int NoBattery = -1;

    /// <summary>Whether something sits in the slot.</summary>
    public bool Occupied { get; set; }

    /// <summary><see cref="SlotContents.Empty"/>, <see cref="SlotContents.Device"/> or <see cref="SlotContents.Battery"/>.</summary>
    public string Content { get; set; } = SlotContents.Empty;

    /// <summary>The serial of the device or spare battery in the slot, when the cradle reads it; null otherwise.</summary>
    public string? Serial { get; set; }

    /// <summary>Charge level 0–100 %, or <see cref="NoBattery"/>.</summary>
    public int Battery { get; set; } = NoBattery;

    /// <summary>Whether the payload said whether the slot is charging (<see cref="Charging"/> means nothing otherwise).</summary>
    public bool ChargingReported { get; set; }

    /// <summary>Whether the slot is charging what it holds.</summary>
    public bool Charging { get; set; }

    /// <summary>The slot's fault ("overtemp", "contact"...), null when it has none.</summary>
    public string? Fault { get; set; }
}

/// <summary>The values of <see cref="SlotTelemetry.Content"/>.</summary>
public static class SlotContents
{
    public const string Empty = "empty";
    public const string Device = "device";
    public const string Battery = "battery";
}
