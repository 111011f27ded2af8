namespace EdgeMdm.Domain.Floor;

/// <summary>One reading of a battery pack, as its device reported it at a check-in.</summary>
public sealed record BatterySample(DateTimeOffset At, int? Level, int? HealthPercent, int? CycleCount, bool Charging, bool Docked);

/// <summary>Which way a battery's health is going: <c>falling</c>, <c>steady</c>, or <c>unknown</c> (too little history).</summary>
public static class HealthTrendNames
{
    public const string Falling = "falling";
    public const string Steady = "steady";
    public const string Unknown = "unknown";
}

/// <summary>A battery's health slope (percentage points per 30 days, negative when losing capacity) and its name.</summary>
public sealed record HealthTrend(double? SlopePer30Days, string Trend);

/// <summary>
/// What a battery's history says of it: health trend, replacement, drain and charge rates. Pure: the samples are the
/// only input, in any order. Intervals between consecutive samples that are not positive (a clock moved back) or longer
/// than <see cref="MaxInterval"/> (the device was off, out of coverage, or its clock jumped ahead) are ignored, and so are
/// intervals that mix charging and discharging: a rate is only ever measured over a stretch where the device did one thing.
/// </summary>
public static class BatteryHistory
{
    /// <summary>The longest gap between two samples that still counts as one stretch of use or charge.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromHours(2);

    /// <summary>Health lost faster than this (points per 30 days) is "falling".</summary>
    public const double FallingSlopePer30Days = -0.5;

    /// <summary>The least history a rate needs: shorter stretches say more about rounding than about the battery.</summary>
    public static readonly TimeSpan MinMeasured = TimeSpan.FromMinutes(10);

    /// <summary>The least span of health readings a trend needs.</summary>
    public static readonly TimeSpan MinTrendSpan = TimeSpan.FromHours(12);

    /// <summary>
    /// Least-squares slope of health % over time, per 30 days; <c>falling</c> below <see cref="FallingSlopePer30Days"/>,
    /// else <c>steady</c>; <c>unknown</c> with fewer than two readings or less than <see cref="MinTrendSpan"/> between them.
    /// </summary>
    public static HealthTrend Trend(IEnumerable<BatterySample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var points = samples.Where(s => s.HealthPercent is not null).Select(s => (s.At, Health: (double)s.HealthPercent!.Value)).ToList();
        if (points.Count < 2)
            return new HealthTrend(null, HealthTrendNames.Unknown);
        var origin = points.Min(p => p.At);
        if (points.Max(p => p.At) - origin < MinTrendSpan)
            return new HealthTrend(null, HealthTrendNames.Unknown);

        var xs = points.Select(p => (p.At - origin).TotalDays / 30).ToList();
        var meanX = xs.Average();
        var meanY = points.Average(p => p.Health);
        double sxy = 0, sxx = 0;
        for (var i = 0; i < points.Count; i++)
        {
            sxy += (xs[i] - meanX) * (points[i].Health - meanY);
            sxx += (xs[i] - meanX) * (xs[i] - meanX);
        }

        var slope = sxx == 0 ? 0 : sxy / sxx;
        slope = Math.Round(slope, 2);
        return new HealthTrend(slope, slope < FallingSlopePer30Days ? HealthTrendNames.Falling : HealthTrendNames.Steady);
    }

    /// <summary>Whether a battery should be replaced: its health is known and under the site's floor.</summary>
    public static bool NeedsReplacement(int? healthPercent, int floorPercent) => healthPercent < floorPercent;

    /// <summary>
    /// Percent per hour lost while off the cradle: over each interval where the device was neither docked nor charging
    /// at both ends and the level did not rise (a rise off the cradle is a swapped pack), the drops summed over the
    /// hours summed. Null when under <see cref="MinMeasured"/> of such history.
    /// </summary>
    public static double? DrainPerHour(IEnumerable<BatterySample> samples) =>
        Rate(samples, s => !s.Docked && !s.Charging, (from, to) => from - to);

    /// <summary>Percent per hour gained while charging, measured the same way over intervals charging at both ends.</summary>
    public static double? ChargePerHour(IEnumerable<BatterySample> samples) =>
        Rate(samples, s => s.Charging, (from, to) => to - from);

    /// <summary>
    /// Time to full of a battery now: what the device reports when it does; otherwise, while charging, what is left
    /// at the measured charge rate; zero when full; null when it is not charging or nothing can be measured.
    /// </summary>
    public static TimeSpan? TimeToFull(BatterySample? latest, int? reportedMinutes, IEnumerable<BatterySample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (latest is null)
            return null;
        if (latest.Level >= 100)
            return TimeSpan.Zero;
        if (!latest.Charging || latest.Level is not { } level)
            return null;
        if (reportedMinutes is >= 0)
            return TimeSpan.FromMinutes(reportedMinutes.Value);
        return ChargePerHour(samples) is { } rate and > 0 ? TimeSpan.FromHours((100 - level) / rate) : null;
    }

    private static double? Rate(IEnumerable<BatterySample> samples, Func<BatterySample, bool> counts, Func<int, int, int> change)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var ordered = samples.Where(s => s.Level is not null).OrderBy(s => s.At).ToList();
        double percent = 0, hours = 0;
        for (var i = 1; i < ordered.Count; i++)
        {
            var (from, to) = (ordered[i - 1], ordered[i]);
            var interval = to.At - from.At;
            if (interval <= TimeSpan.Zero || interval > MaxInterval || !counts(from) || !counts(to))
                continue;
            var moved = change(from.Level!.Value, to.Level!.Value);
            if (moved < 0)
                continue;
            percent += moved;
            hours += interval.TotalHours;
        }

        return hours * 60 < MinMeasured.TotalMinutes ? null : percent / hours;
    }
}
