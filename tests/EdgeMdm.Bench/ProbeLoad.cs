using System.Runtime.InteropServices;

namespace EdgeMdm.Bench;

/// <summary>
/// A modest steady load whose latency is the probe: every device checks in once per period (an open loop on
/// a fixed schedule; a late check-in is followed at once by the next one). Each completed check-in is kept
/// with the time it completed, so a window can be cut out afterwards.
/// </summary>
internal sealed class ProbeLoad
{
    /// <summary>The probe of the catch-up and download scenarios: devices checking in steadily, each once per <see cref="Period"/>.</summary>
    public const int Devices = 50;

    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the probe runs before a window of it is measured.</summary>
    public static readonly TimeSpan Warmup = TimeSpan.FromSeconds(2);

    private readonly DeviceApiClient _api;
    private readonly IReadOnlyList<BenchDevice> _devices;
    private readonly TimeSpan _period;
    private long _errors;

    public ProbeLoad(DeviceApiClient api, IReadOnlyList<BenchDevice> devices, TimeSpan period)
    {
        _api = api;
        _devices = devices;
        _period = period;
    }

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Told of every check-in as it completes (from the device's own worker).</summary>
    public Action<Sample>? Completed { get; init; }

    /// <summary>Told of every check-in that failed.</summary>
    public Action? Failed { get; init; }

    /// <summary>Runs until <paramref name="stop"/>; returns (completed at, latency) in Stopwatch ticks.</summary>
    public async Task<Sample[]> RunAsync(CancellationToken stop)
    {
        var workers = _devices.Select((device, i) => Task.Run(() => WorkAsync(device, i, stop), CancellationToken.None)).ToArray();
        return (await Task.WhenAll(workers)).SelectMany(s => s).ToArray();
    }

    private async Task<List<Sample>> WorkAsync(BenchDevice device, int index, CancellationToken stop)
    {
        var samples = new List<Sample>(1024);
        var periodTicks = (long)(_period.TotalSeconds * Stopwatch.Frequency);
        // Spread the devices over the period so that they do not all arrive at once.
        var next = Stopwatch.GetTimestamp() + periodTicks * index / Math.Max(_devices.Count, 1);
        while (!stop.IsCancellationRequested)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            try
            {
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, stop);
                var started = Stopwatch.GetTimestamp();
                var answer = await _api.CheckinAsync(device.Secret, device.NextCheckin(), stop);
                var finished = Stopwatch.GetTimestamp();
                device.Acknowledge(answer);
                var sample = new Sample(finished, finished - started);
                samples.Add(sample);
                Completed?.Invoke(sample);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (AgentFailures.IsRequestFailure(e, stop))
            {
                Interlocked.Increment(ref _errors);
                Failed?.Invoke();
            }

            next = Math.Max(next + periodTicks, Stopwatch.GetTimestamp());
        }

        return samples;
    }

    /// <summary>Nearest-rank percentile, in milliseconds, of the samples completed in [from, to].</summary>
    public static Percentiles Percentiles(IEnumerable<Sample> samples, long from, long to)
    {
        var latencies = samples.Where(s => s.CompletedAt >= from && s.CompletedAt <= to).Select(s => s.LatencyTicks).ToArray();
        Array.Sort(latencies);
        return new Percentiles(latencies.Length, Percentile(latencies, 0.50), Percentile(latencies, 0.99));
    }

    private static double Percentile(long[] sorted, double q) =>
        sorted.Length == 0
            ? double.NaN
            : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)] * 1000.0 / Stopwatch.Frequency;

    /// <summary>One completed check-in: when it completed and how long it took (Stopwatch ticks).</summary>
    [StructLayout(LayoutKind.Auto)]
    internal readonly record struct Sample(long CompletedAt, long LatencyTicks);
}
