using System.Globalization;
using EdgeMdm.Edge.Storage;

using EdgeMdm.ServiceDefaults.WebPages;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>Floor-truth compliance at one moment: devices, and how many were compliant, not, or had not reported.</summary>
public sealed record ComplianceSample(DateTimeOffset At, int Devices, int Compliant, int NonCompliant, int Unknown)
{
    /// <summary>Compliant devices among those that reported, in whole percent; null when none had.</summary>
    public int? CompliantPercent => Compliant + NonCompliant == 0 ? null : (int)Math.Round(100.0 * Compliant / (Compliant + NonCompliant));
}

/// <summary>
/// Samples the overview's compliance every <see cref="Every"/> (table <c>compliance_samples</c>, kept <see cref="Keep"/>)
/// so the overview can draw the last 24 hours: whether the floor is getting better or worse, not only where it is.
/// </summary>
internal sealed partial class ComplianceHistory(EdgeStorage storage, OverviewReader overview, TimeProvider clock, ILogger<ComplianceHistory> log) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(15);

    public static readonly TimeSpan Keep = TimeSpan.FromDays(7);

    /// <summary>The samples taken since <paramref name="since"/>, oldest first.</summary>
    public IReadOnlyList<ComplianceSample> Since(DateTimeOffset since) =>
        storage.Read(db => db.Query<SampleRow>(
                "SELECT at AS At, devices AS Devices, compliant AS Compliant, non_compliant AS NonCompliant, unknown AS Unknown FROM compliance_samples WHERE at >= ? ORDER BY at",
                since.ToUnixTimeMilliseconds()))
            .Select(r => new ComplianceSample(DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Devices, r.Compliant, r.NonCompliant, r.Unknown))
            .ToList();

    /// <summary>One column per hour of the last day (oldest first): the hour's last sample's compliant share.</summary>
    public IReadOnlyList<ChartBar> LastDay(DateTimeOffset now)
    {
        var samples = Since(now - TimeSpan.FromHours(24));
        var columns = new List<ChartBar>(24);
        for (var hour = 23; hour >= 0; hour--)
        {
            var end = now - TimeSpan.FromHours(hour);
            var last = samples.LastOrDefault(s => s.At <= end && s.At > end - TimeSpan.FromHours(1));
            var percent = last?.CompliantPercent;
            var label = end.ToLocalTime().ToString("HH:mm", CultureInfo.InvariantCulture);
            columns.Add(new ChartBar(label, percent ?? 0, percent is null ? "none" : percent >= 95 ? "ok" : percent >= 80 ? "warn" : "bad"));
        }

        return columns;
    }

    public async Task SampleAsync()
    {
        var now = overview.Current();
        await storage.WriteAsync(unit =>
        {
            unit.Db.Execute(
                "INSERT OR REPLACE INTO compliance_samples (at, devices, compliant, non_compliant, unknown) VALUES (?, ?, ?, ?, ?)",
                now.At.ToUnixTimeMilliseconds(), now.Devices, now.Compliant, now.NonCompliant, now.Unknown);
            return unit.Db.Execute("DELETE FROM compliance_samples WHERE at < ?", (now.At - Keep).ToUnixTimeMilliseconds());
        });
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // The next wait starts before the round, so a round's length does not push the schedule.
            var next = Task.Delay(Every, clock, stoppingToken);
            try
            {
                await SampleAsync();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogFailed(exception);
            }

            try
            {
                await next;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 7610, Level = LogLevel.Warning, Message = "Compliance not sampled this round")]
    private partial void LogFailed(Exception exception);

    private sealed class SampleRow
    {
        public long At { get; set; }
        public int Devices { get; set; }
        public int Compliant { get; set; }
        public int NonCompliant { get; set; }
        public int Unknown { get; set; }
    }
}
