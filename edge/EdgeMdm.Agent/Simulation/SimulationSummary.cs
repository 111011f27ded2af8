using System.Globalization;

namespace EdgeMdm.Agent;

/// <summary>What a simulation run did. Latency percentiles are of successful check-in requests.</summary>
public sealed record SimulationSummary
{
    public required int Devices { get; init; }
    public required int Enrolled { get; init; }

    /// <summary>Successful check-ins (200).</summary>
    public required long Checkins { get; init; }

    /// <summary>Failed requests of any kind: non-2xx answers, transport failures, timeouts.</summary>
    public required long Errors { get; init; }

    public required TimeSpan P50 { get; init; }
    public required TimeSpan P99 { get; init; }

    /// <summary>Errors by <see cref="AgentFailure.Kind"/>, e.g. <c>checkin:503</c> → 3.</summary>
    public required IReadOnlyDictionary<string, long> ErrorsByKind { get; init; }

    /// <summary>Check-in slots skipped because the device was out of Wi-Fi coverage (not errors).</summary>
    public long OfflineSlots { get; init; }

    /// <summary>Packages installed from the appliance.</summary>
    public long Installs { get; init; }

    /// <summary>Failed package install attempts by reason (<c>storage_full</c> → 12), each retry counted.</summary>
    public IReadOnlyDictionary<string, long> InstallFailuresByReason { get; init; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Package downloads answered 503 (not cached at the site yet): waited for, not failures.</summary>
    public long InstallsDeferred { get; init; }

    /// <summary>Package bytes downloaded from the appliance.</summary>
    public long PackageBytes { get; init; }

    public long DeclarationFetches { get; init; }
    public long CommandResults { get; init; }

    /// <summary>Wakes the devices received from the broker.</summary>
    public long Wakes { get; init; }

    /// <summary>Check-ins made at once because of a wake, before the interval was up.</summary>
    public long WokenCheckins { get; init; }
    public TimeSpan Elapsed { get; init; }

    /// <summary><c>enrolled=200 checkins=4012 errors=0 p50=1.8ms p99=9.4ms installs=180 install_failures=incompatible:12,storage_full:8</c></summary>
    public string ToSummaryLine() => string.Create(
        CultureInfo.InvariantCulture,
        $"enrolled={Enrolled} checkins={Checkins} errors={Errors} p50={P50.TotalMilliseconds:0.0}ms p99={P99.TotalMilliseconds:0.0}ms installs={Installs} install_failures={FailuresText()}");

    private string FailuresText() =>
        InstallFailuresByReason.Count == 0 ? "0" : string.Join(',', InstallFailuresByReason.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Key}:{f.Value}")));

    /// <summary>Nearest-rank percentile (the smallest sample with at least q of all samples at or below it).</summary>
    /// <param name="sorted">Samples in ascending order.</param>
    /// <param name="q">0 &lt; q ≤ 1, e.g. 0.99.</param>
    internal static TimeSpan Percentile(IReadOnlyList<TimeSpan> sorted, double q)
    {
        if (sorted.Count == 0)
            return TimeSpan.Zero;
        var rank = (int)Math.Ceiling(q * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}

/// <summary>The JSON form of a <see cref="SimulationSummary"/> (<c>simulate --json</c>): plain numbers, milliseconds.</summary>
internal sealed record SimulationReport(
    int Devices,
    int Enrolled,
    long Checkins,
    long Errors,
    double P50Ms,
    double P99Ms,
    long OfflineSlots,
    long DeclarationFetches,
    long CommandResults,
    double ElapsedSeconds,
    IReadOnlyDictionary<string, long> ErrorsByKind,
    long Installs,
    IReadOnlyDictionary<string, long> InstallFailuresByReason,
    long InstallsDeferred,
    long PackageBytes,
    long Wakes,
    long WokenCheckins)
{
    public static SimulationReport From(SimulationSummary summary) => new(
        summary.Devices,
        summary.Enrolled,
        summary.Checkins,
        summary.Errors,
        Math.Round(summary.P50.TotalMilliseconds, 3),
        Math.Round(summary.P99.TotalMilliseconds, 3),
        summary.OfflineSlots,
        summary.DeclarationFetches,
        summary.CommandResults,
        Math.Round(summary.Elapsed.TotalSeconds, 3),
        summary.ErrorsByKind,
        summary.Installs,
        summary.InstallFailuresByReason,
        summary.InstallsDeferred,
        summary.PackageBytes,
        summary.Wakes,
        summary.WokenCheckins);
}
