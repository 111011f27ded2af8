namespace EdgeMdm.Domain.Floor;

/// <summary>An active device as readiness sees it: its charge now, whether it is compliant, and its battery's forecast for the shift.</summary>
public sealed record ReadinessDevice(string DeviceId, string Serial, string Group, int? ChargePercent, bool Compliant, RuntimeForecast? Forecast);

/// <summary>A spare pool against its minimum.</summary>
public sealed record PoolLevel(string Model, int Ready, int Minimum)
{
    public bool BelowMinimum => Ready < Minimum;
}

/// <summary>A device whose battery will not last the shift.</summary>
public sealed record ShortfallDevice(string DeviceId, string Serial, string Group, double StartChargePercent, TimeSpan Runtime);

/// <summary>
/// The floor before a shift: of the <see cref="ActiveDevices"/>, how many are <see cref="ChargedAndCompliant"/> (charged to
/// the site's threshold and compliant) and what share that is, each spare pool's Ready spares against its minimum,
/// and the devices predicted to run out before the shift ends.
/// </summary>
public sealed record ReadinessFigure(
    ShiftOccurrence Shift,
    DateTimeOffset ComputedAt,
    int ReadyChargePercent,
    int ActiveDevices,
    int ChargedAndCompliant,
    double ReadyPercent,
    IReadOnlyList<PoolLevel> Spares,
    IReadOnlyList<ShortfallDevice> Shortfall)
{
    public int PoolsBelowMinimum => Spares.Count(p => p.BelowMinimum);
}

public static class ShiftReadiness
{
    /// <param name="shift">The shift readiness is for.</param>
    /// <param name="active">The active fleet (devices in state Active; spares and devices in repair are not in it).</param>
    /// <param name="pools">The spare pools.</param>
    /// <param name="readyChargePercent">The charge a device needs to count as ready.</param>
    /// <param name="now">When the figure is computed.</param>
    public static ReadinessFigure Compute(ShiftOccurrence shift, IReadOnlyList<ReadinessDevice> active, IReadOnlyList<PoolLevel> pools, int readyChargePercent, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(shift);
        ArgumentNullException.ThrowIfNull(active);
        ArgumentNullException.ThrowIfNull(pools);
        var ready = active.Count(d => d.Compliant && d.ChargePercent >= readyChargePercent);
        var percent = active.Count == 0 ? 0 : Math.Round(100.0 * ready / active.Count, 1);
        var shortfall = active
            .Where(d => d.Forecast is { FallsShort: true, Runtime: not null })
            .Select(d => new ShortfallDevice(d.DeviceId, d.Serial, d.Group, d.Forecast!.StartChargePercent, d.Forecast.Runtime!.Value))
            .OrderBy(d => d.Runtime)
            .ThenBy(d => d.Serial, StringComparer.Ordinal)
            .ToList();
        return new ReadinessFigure(shift, now, readyChargePercent, active.Count, ready, percent, [.. pools.OrderBy(p => p.Model, StringComparer.Ordinal)], shortfall);
    }
}
