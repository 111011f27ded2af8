using System.Diagnostics.Metrics;
using EdgeMdm.Edge.Telemetry;

namespace EdgeMdm.Edge.Cradles;

/// <summary>What happened to cradle telemetry since start: <c>edgemdm.cradles.telemetry{result}</c>.</summary>
public sealed class CradleMetrics
{
    public const string Accepted = "accepted";
    public const string UnknownCradle = "unknown_cradle";
    public const string BadSlot = "bad_slot";
    public const string Malformed = "malformed";

    private long _accepted;
    private long _unknownCradle;
    private long _badSlot;
    private long _malformed;

    public CradleMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(EdgeMetrics.MeterName);
        meter.CreateObservableCounter("edgemdm.cradles.telemetry", () => new[]
        {
            Measure(Accepted, ref _accepted),
            Measure(UnknownCradle, ref _unknownCradle),
            Measure(BadSlot, ref _badSlot),
            Measure(Malformed, ref _malformed),
        }, "{message}", "cradle slot telemetry by result: accepted, or dropped (unknown cradle, slot out of range, malformed or oversized)");
    }

    /// <summary>How many messages had <paramref name="result"/>.</summary>
    public long Count(string result) => result switch
    {
        Accepted => Interlocked.Read(ref _accepted),
        UnknownCradle => Interlocked.Read(ref _unknownCradle),
        BadSlot => Interlocked.Read(ref _badSlot),
        Malformed => Interlocked.Read(ref _malformed),
        _ => 0,
    };

    internal void Counted(string result)
    {
        switch (result)
        {
            case Accepted:
                Interlocked.Increment(ref _accepted);
                break;
            case UnknownCradle:
                Interlocked.Increment(ref _unknownCradle);
                break;
            case BadSlot:
                Interlocked.Increment(ref _badSlot);
                break;
            default:
                Interlocked.Increment(ref _malformed);
                break;
        }
    }

    private static Measurement<long> Measure(string result, ref long count) =>
        new(Interlocked.Read(ref count), new KeyValuePair<string, object?>("result", result));
}
