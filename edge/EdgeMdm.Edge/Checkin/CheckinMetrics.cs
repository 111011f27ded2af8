using System.Diagnostics;
using System.Diagnostics.Metrics;
using EdgeMdm.Edge.Telemetry;

namespace EdgeMdm.Edge.Checkin;

/// <summary>Check-ins as the appliance answers them: how many, refused or not, and how long each took on the appliance.</summary>
internal sealed class CheckinMetrics
{
    private readonly Counter<long> _checkins;
    private readonly Histogram<double> _duration;

    public CheckinMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(EdgeMetrics.MeterName);
        _checkins = meter.CreateCounter<long>("edgemdm.checkins", "{checkin}", "check-ins answered, by outcome (accepted, refused)");
        _duration = meter.CreateHistogram<double>(
            "edgemdm.checkin.duration", "s", "time from a check-in's body read to its answer, the commit included",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
    }

    public void Record(long startedAt, bool accepted)
    {
        var outcome = new KeyValuePair<string, object?>("outcome", accepted ? "accepted" : "refused");
        _checkins.Add(1, outcome);
        _duration.Record(Stopwatch.GetElapsedTime(startedAt).TotalSeconds, outcome);
    }
}
