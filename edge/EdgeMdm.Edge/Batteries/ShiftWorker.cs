using System.Text.Json;
using EdgeMdm.Domain.Floor;
using EdgeMdm.Edge.Alerts;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Batteries;

/// <summary>
/// Records, around each shift, the readiness figure (<c>Edge:Shifts:ReadinessBeforeMinutes</c> before its start) and
/// the missing-device report (<c>Edge:Shifts:MissingAfterMinutes</c> after its end, with a <c>devices.missing</c> alert
/// when any is missing), and prunes old samples and reports hourly.
/// </summary>
/// <remarks>
/// Robust to the wall clock jumping: every wake-up looks at the shifts around "now" afresh and records what is due and
/// not yet recorded (a report is recorded at most once per shift, so going back over a boundary records nothing twice),
/// and it never sleeps longer than <see cref="MaxSleep"/>, so a jump forward is noticed within that even though the
/// timer it sleeps on runs on monotonic time. A report whose moment was jumped over by more than
/// <see cref="CatchUp"/> is not recorded late: it would describe another shift's floor.
/// </remarks>
internal sealed partial class ShiftWorker(
    FloorReports reports,
    ShiftReportStore store,
    BatterySamples samples,
    IAlerts alerts,
    EdgeStorage storage,
    IOptions<BatteryOptions> batteryOptions,
    ILogger<ShiftWorker> log) : BackgroundService
{
    public const string MissingAlertKind = "devices.missing";

    private static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan CatchUp = TimeSpan.FromHours(6);
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);
    private static readonly TimeSpan ReportRetention = TimeSpan.FromDays(90);

    private DateTimeOffset? _prunedAt;
    private long _lastTickMs = long.MinValue;

    /// <summary>The wall-clock time of the last finished wake-up (tests wait on it); null before the first.</summary>
    internal DateTimeOffset? LastTickAt => Interlocked.Read(ref _lastTickMs) is var ms && ms != long.MinValue ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var clock = reports.Clock;
        await reports.Calendar.RecordAsync(clock.GetUtcNow());
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            try
            {
                await TickAsync(now);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogTickFailed(log, exception);
            }

            Interlocked.Exchange(ref _lastTickMs, now.ToUnixTimeMilliseconds());

            try
            {
                await Task.Delay(SleepFrom(clock.GetUtcNow()), clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Records what is due at <paramref name="now"/> and not recorded yet; prunes when an hour has passed.</summary>
    internal async Task TickAsync(DateTimeOffset now)
    {
        var calendar = reports.Calendar;
        foreach (var shift in calendar.Schedule.Around(now))
        {
            var readinessAt = shift.Start - calendar.ReadinessBefore;
            if (readinessAt <= now && now < shift.Start && !store.Has(ShiftReportStore.ReadinessKind, shift))
                await RecordReadinessAsync(shift, now);
            var missingAt = shift.End + calendar.MissingAfter;
            if (missingAt <= now && now - missingAt < CatchUp && !store.Has(ShiftReportStore.MissingKind, shift))
                await RecordMissingAsync(shift, now);
        }

        if (_prunedAt is not { } pruned || now - pruned >= PruneEvery || now < pruned)
        {
            _prunedAt = now;
            var removed = await samples.PruneAsync(now - TimeSpan.FromDays(batteryOptions.Value.SampleRetentionDays));
            await store.PruneAsync(now - ReportRetention);
            if (removed > 0)
                LogPruned(log, removed);
        }
    }

    /// <summary>Until the next moment something falls due, at most <see cref="MaxSleep"/>.</summary>
    private TimeSpan SleepFrom(DateTimeOffset now)
    {
        var calendar = reports.Calendar;
        var next = calendar.Schedule.Around(now)
            .SelectMany(s => new[] { s.Start - calendar.ReadinessBefore, s.End + calendar.MissingAfter })
            .Where(at => at > now)
            .DefaultIfEmpty(now + MaxSleep)
            .Min();
        var wait = next - now;
        return wait > MaxSleep ? MaxSleep : wait;
    }

    private async Task RecordReadinessAsync(ShiftOccurrence shift, DateTimeOffset now)
    {
        var figure = reports.Readiness(shift, now);
        var json = JsonSerializer.Serialize(figure, FloorJson.Default.ReadinessFigure);
        if (await storage.WriteAsync(unit => ShiftReportStore.Record(unit, ShiftReportStore.ReadinessKind, shift, now, json)))
            LogReadiness(log, shift.Id, figure.ChargedAndCompliant, figure.ActiveDevices, figure.Shortfall.Count, figure.PoolsBelowMinimum);
    }

    private async Task RecordMissingAsync(ShiftOccurrence shift, DateTimeOffset now)
    {
        var report = reports.Missing(shift, now);
        var json = JsonSerializer.Serialize(report, FloorJson.Default.MissingReport);
        var recorded = await storage.WriteAsync(unit =>
        {
            if (!ShiftReportStore.Record(unit, ShiftReportStore.MissingKind, shift, now, json))
                return false;
            if (report.Missing.Count > 0)
            {
                var names = string.Join(", ", report.Missing.Take(5).Select(m => m.Serial)) + (report.Missing.Count > 5 ? ", ..." : "");
                alerts.Raise(unit, MissingAlertKind, shift.Id, $"{report.Missing.Count} of {report.ActiveDevices} devices not docked after shift {shift.Id}: {names}", now);
            }

            return true;
        });
        if (recorded)
            LogMissing(log, shift.Id, report.Missing.Count, report.ActiveDevices);
    }

    [LoggerMessage(EventId = 7500, Level = LogLevel.Information, Message = "readiness for shift {Shift}: {Ready} of {Active} devices charged and compliant, {Shortfall} predicted short, {PoolsBelow} spare pools below minimum")]
    private static partial void LogReadiness(ILogger logger, string shift, int ready, int active, int shortfall, int poolsBelow);

    [LoggerMessage(EventId = 7501, Level = LogLevel.Warning, Message = "after shift {Shift}: {Missing} of {Active} active devices not docked")]
    private static partial void LogMissing(ILogger logger, string shift, int missing, int active);

    [LoggerMessage(EventId = 7502, Level = LogLevel.Debug, Message = "pruned {Count} battery samples past their retention")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(EventId = 7503, Level = LogLevel.Error, Message = "shift reports could not be recorded; trying again at the next wake-up")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
