namespace EdgeMdm.Bench;

/// <summary>Failed sync calls of a phase, by gRPC status (or exception type); the first few are logged with their message.</summary>
internal sealed class FaninErrors(TextWriter log)
{
    private const int Logged = 5;

    private readonly Lock _lock = new();
    private Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private int _logged;

    public void Count(string kind, string? detail = null)
    {
        lock (_lock)
        {
            _counts[kind] = _counts.GetValueOrDefault(kind) + 1;
            if (_logged++ < Logged)
                log.WriteLine($"  fan-in: error {kind}{(detail is null ? "" : ": " + detail)}");
        }
    }

    /// <summary>The counts so far; counting starts again from none.</summary>
    public IReadOnlyDictionary<string, long> Reset()
    {
        lock (_lock)
        {
            var counts = _counts;
            _counts = new Dictionary<string, long>(StringComparer.Ordinal);
            _logged = 0;
            return counts;
        }
    }
}

/// <summary>The trickle's window: sync rounds (Hello to the last acknowledgement) and push batches (sent to acknowledged), and the hub's work.</summary>
/// <param name="AppliedPerSecond">Changes the hub applied per second over the window (from its database).</param>
/// <param name="HubCores">CPU of each replica over the window, in cores (1.0 = one core busy).</param>
internal sealed record TrickleMeasure(Percentiles Rounds, Percentiles Pushes, double AppliedPerSecond, IReadOnlyList<double> HubCores, double MachineCores);

/// <summary>The catch-up storm: changes the hub applied from the start until every site was acknowledged, and the time that took.</summary>
internal sealed record StormMeasure(long Applied, double Seconds, IReadOnlyList<double> HubCores, double MachineCores)
{
    public double PerSecond => Applied / Seconds;
}

/// <summary>One configuration: N sites on R replicas.</summary>
/// <param name="Storm">Null when this step ran no storm (the smaller sizes).</param>
/// <param name="Held">Changes the hub's database holds at the end, all sites together.</param>
/// <param name="Differences">Ways the hub's database differs from what the sites produced: 0 means every change exactly once.</param>
internal sealed record FaninStep(
    int Sites,
    int Replicas,
    TrickleMeasure Trickle,
    StormMeasure? Storm,
    IReadOnlyDictionary<string, long> TrickleErrors,
    IReadOnlyDictionary<string, long> StormErrors,
    long Held,
    int Differences)
{
    public long Errors => TrickleErrors.Values.Sum() + StormErrors.Values.Sum();
}

/// <summary>What the fan-in scenario measured.</summary>
internal sealed record FaninResult(int Sites, double RatePerSite, int Backlog, TimeSpan Window, IReadOnlyList<FaninStep> Steps)
{
    /// <summary>Whether the sites reached the hub over TLS (else cleartext HTTP/2).</summary>
    public bool Tls { get; init; }

    /// <summary>Sync errors, and each step whose database does not hold every change exactly once.</summary>
    public long Errors => Steps.Sum(s => s.Errors + (s.Differences > 0 ? 1 : 0));
}
