namespace EdgeMdm.Domain.Floor;

/// <summary>Who observed a cradle slot. The order is the tie-break: at the same instant the slot's own sensor wins.</summary>
public enum SlotSource
{
    /// <summary>The slot's switch, wired to the appliance's GPIO: occupied or empty, no serial, no charge.</summary>
    Gpio,

    /// <summary>A networked smart cradle's telemetry for the slot.</summary>
    Mqtt,

    /// <summary>A device's own check-in, saying it is docked in this cradle and slot.</summary>
    Device,
}

/// <summary>What a slot holds.</summary>
public enum SlotHolding
{
    Empty,
    Device,
    Battery,
}

/// <summary>One source's latest word on one slot (only the latest per source and slot is kept).</summary>
public sealed record SlotObservation(
    SlotSource Source,
    SlotHolding Holding,
    string? Serial,
    int? ChargePercent,
    bool? Charging,
    string? Fault,
    DateTimeOffset ObservedAt);

/// <summary>The slot as the merge rule sees it: the winning observation, completed by a fresh device report.</summary>
public sealed record MergedSlot(
    SlotHolding Holding,
    string? Serial,
    int? ChargePercent,
    bool? Charging,
    string? Fault,
    SlotSource Source,
    DateTimeOffset ObservedAt);

/// <summary>
/// How the sources of one slot make one answer (README "Cradles", merge rule):
/// <list type="number">
/// <item>A device report is <em>stale</em> when older than the staleness (default 2 × the check-in interval).</item>
/// <item>The newest observation wins; at the same instant GPIO beats MQTT beats a device report.</item>
/// <item>Exception: when the winner is a stale device report and a cradle source (GPIO or MQTT) says the slot is
/// empty, the slot is empty, however old that "empty" is — the switch stays open until something closes it, while a
/// device that stopped reporting may have been taken away long ago.</item>
/// <item>An empty winner says nothing of serial or charge. An occupied winner that does not know its serial or charge
/// (GPIO never does) takes them from a fresh device report for the same slot.</item>
/// </list>
/// </summary>
public static class SlotMerge
{
    /// <summary>The slot, or null when no source said anything about it.</summary>
    public static MergedSlot? Merge(IReadOnlyCollection<SlotObservation> observations, DateTimeOffset now, TimeSpan staleness)
    {
        ArgumentNullException.ThrowIfNull(observations);
        SlotObservation? winner = null;
        foreach (var observation in observations)
        {
            if (winner is null || observation.ObservedAt > winner.ObservedAt
                || (observation.ObservedAt == winner.ObservedAt && observation.Source < winner.Source))
                winner = observation;
        }

        if (winner is null)
            return null;
        if (winner.Source == SlotSource.Device && IsStale(winner, now, staleness)
            && observations.FirstOrDefault(o => o.Source != SlotSource.Device && o.Holding == SlotHolding.Empty) is { } sensorEmpty)
            winner = sensorEmpty;
        if (winner.Holding == SlotHolding.Empty)
            return new MergedSlot(SlotHolding.Empty, null, null, null, winner.Fault, winner.Source, winner.ObservedAt);

        var report = winner.Source == SlotSource.Device
            ? null
            : observations.FirstOrDefault(o => o.Source == SlotSource.Device && o.Holding == winner.Holding && !IsStale(o, now, staleness));
        return new MergedSlot(
            winner.Holding,
            winner.Serial ?? report?.Serial,
            winner.ChargePercent ?? report?.ChargePercent,
            winner.Charging ?? report?.Charging,
            winner.Fault,
            winner.Source,
            winner.ObservedAt);
    }

    /// <summary>True when a device report is older than <paramref name="staleness"/>; a sensor's observation never is.</summary>
    public static bool IsStale(SlotObservation observation, DateTimeOffset now, TimeSpan staleness)
    {
        ArgumentNullException.ThrowIfNull(observation);
        return observation.Source == SlotSource.Device && now - observation.ObservedAt > staleness;
    }
}
