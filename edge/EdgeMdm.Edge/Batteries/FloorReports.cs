using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Floor;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Edge.Cradles;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Spares;
using EdgeMdm.Edge.Storage;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Batteries;

/// <summary>One battery as <c>batteries</c> shows it: where it is, its health and trend, time to full, and what it will give the next shift.</summary>
public sealed record BatteryView(
    string Battery,
    string DeviceId,
    string? DeviceSerial,
    int? Level,
    bool Charging,
    int? HealthPercent,
    int? CycleCount,
    string Trend,
    double? HealthPer30Days,
    double? TimeToFullMinutes,
    double? DrainPercentPerHour,
    double? PredictedRuntimeHours,
    bool? FallsShort,
    bool Flagged,
    DateTimeOffset LastSampleAt);

/// <summary>Every battery seen within the sample retention, flagged ones first; <see cref="NextShift"/> is what runtimes are predicted for.</summary>
public sealed record BatteriesReport(DateTimeOffset ComputedAt, string? NextShift, int HealthFloorPercent, IReadOnlyList<BatteryView> Batteries);

/// <summary>A missing-device report and whether it is the one recorded at its due time (else computed when asked).</summary>
public sealed record MissingView(MissingReport Report, bool Recorded);

/// <summary>The floor's reports for pages that show them (the supervisor's overview and floor page).</summary>
public interface IFloorReports
{
    /// <summary>Readiness for the next shift as of now; null when no shift is configured.</summary>
    ReadinessFigure? NextReadiness();

    /// <summary>Every battery as of now; with <paramref name="replaceOnly"/> only those flagged for replacement.</summary>
    BatteriesReport Batteries(bool replaceOnly);

    /// <summary>The missing-device report of the last shift that ended; null without shifts.</summary>
    MissingView? LastMissing();

    /// <summary>The readiness recorded before each of the last <paramref name="count"/> shifts, oldest first.</summary>
    IReadOnlyList<ReadinessFigure> RecordedReadiness(int count);
}

/// <summary>
/// The floor's reports, computed from what is stored now: readiness for a shift, devices missing after one, batteries.
/// Reads only (devices, battery samples, cradles, spare pools); recording is the shift worker's.
/// </summary>
internal sealed class FloorReports(
    IDeviceQueries devices,
    BatterySamples samples,
    ICradleFloor cradles,
    ISparePools spares,
    ShiftCalendar calendar,
    ShiftReportStore recorded,
    IOptions<BatteryOptions> batteryOptions,
    TimeProvider clock) : IFloorReports
{
    /// <summary>How far back drain and charge rates look: recent use says more than last month's.</summary>
    private static readonly TimeSpan RateWindow = TimeSpan.FromDays(3);

    public ShiftCalendar Calendar => calendar;

    public TimeProvider Clock => clock;

    /// <summary>Readiness for the next shift as of now; null when no shift is configured.</summary>
    public ReadinessFigure? NextReadiness()
    {
        var now = clock.GetUtcNow();
        return calendar.Schedule.Next(now) is { } next ? Readiness(next, now) : null;
    }

    public IReadOnlyList<ReadinessFigure> RecordedReadiness(int count) => recorded.RecentReadiness(count);

    /// <summary>The missing-device report of the last shift that ended: as recorded, else computed now; null without shifts.</summary>
    public MissingView? LastMissing()
    {
        var now = clock.GetUtcNow();
        if (calendar.Schedule.LastEnded(now) is not { } last)
            return null;
        return recorded.Missing(last) is { } report ? new MissingView(report, Recorded: true) : new MissingView(Missing(last, now), Recorded: false);
    }

    /// <summary>Every battery as of now; with <paramref name="replaceOnly"/> only those flagged for replacement.</summary>
    public BatteriesReport Batteries(bool replaceOnly)
    {
        var report = Batteries(clock.GetUtcNow());
        return replaceOnly ? report with { Batteries = [.. report.Batteries.Where(b => b.Flagged)] } : report;
    }

    public ReadinessFigure Readiness(ShiftOccurrence shift, DateTimeOffset now)
    {
        var byDevice = samples.Since(now - RateWindow).ToLookup(s => s.DeviceId, StringComparer.Ordinal);
        var active = Active().Select(d =>
        {
            var battery = d.ParsedStatus().Battery;
            return new ReadinessDevice(d.Id, d.Serial, d.Group, battery?.Level, d.Compliant, Forecast(battery, [.. byDevice[d.Id].Select(s => s.Sample)], shift, now));
        }).ToList();
        var pools = spares.Pools().Select(p => new PoolLevel(p.Model, p.Ready, p.Minimum)).ToList();
        return ShiftReadiness.Compute(shift, active, pools, calendar.ReadyChargePercent, now);
    }

    public MissingReport Missing(ShiftOccurrence shift, DateTimeOffset now)
    {
        var active = Active().Select(d =>
        {
            var status = d.ParsedStatus();
            var slot = cradles.SlotOf(d.Serial) is { Content: not SlotContent.Empty } held ? new SlotSighting(held.CradleId, held.Slot, held.ObservedAt) : null;
            return new DeviceWhereabouts(d.Id, d.Serial, d.Group, d.LastCheckinAt, status.Battery?.Docked, slot, status.Wifi?.Bssid);
        }).ToList();
        return MissingDevices.Compute(shift, shift.End + calendar.MissingAfter, active, now);
    }

    public BatteriesReport Batteries(DateTimeOffset now)
    {
        var floor = batteryOptions.Value.HealthFloorPercent;
        var next = calendar.Schedule.Next(now);
        var serials = devices.NotRetired().ToDictionary(d => d.Id, d => d.Serial, StringComparer.Ordinal);
        var views = samples.Since(now - TimeSpan.FromDays(batteryOptions.Value.SampleRetentionDays))
            .GroupBy(s => s.Battery, StringComparer.Ordinal)
            .Select(g => View(g.Key, [.. g], next, floor, serials, now))
            .OrderByDescending(v => v.Flagged)
            .ThenBy(v => v.HealthPercent ?? int.MaxValue)
            .ThenBy(v => v.Battery, StringComparer.Ordinal)
            .ToList();
        return new BatteriesReport(now, next?.Id, floor, views);
    }

    private static BatteryView View(string key, IReadOnlyList<StoredSample> history, ShiftOccurrence? next, int floor, Dictionary<string, string> serials, DateTimeOffset now)
    {
        var latest = history[^1];
        var all = history.Select(s => s.Sample).ToList();
        var recent = all.Where(s => s.At >= now - RateWindow).ToList();
        var trend = BatteryHistory.Trend(all);
        var toFull = BatteryHistory.TimeToFull(latest.Sample, latest.TimeToFullMinutes, recent);
        var drain = BatteryHistory.DrainPerHour(recent);
        RuntimeForecast? forecast = null;
        if (latest.Sample.Level is { } level)
        {
            var (until, length) = next is null ? (TimeSpan.Zero, TimeSpan.Zero) : (next.Start - now, next.Length);
            forecast = ShiftRuntime.Predict(level, latest.Sample.Charging, toFull, BatteryHistory.ChargePerHour(recent), drain, until, length);
        }

        return new BatteryView(
            key, latest.DeviceId, serials.GetValueOrDefault(latest.DeviceId), latest.Sample.Level, latest.Sample.Charging, latest.Sample.HealthPercent,
            latest.Sample.CycleCount, trend.Trend, trend.SlopePer30Days, toFull is { } t ? Math.Round(t.TotalMinutes) : null,
            drain is { } d ? Math.Round(d, 2) : null, forecast?.Runtime is { } r ? Math.Round(r.TotalHours, 2) : null,
            next is null || forecast?.Runtime is null ? null : forecast.FallsShort,
            BatteryHistory.NeedsReplacement(latest.Sample.HealthPercent, floor), latest.Sample.At);
    }

    private static RuntimeForecast? Forecast(BatteryStatus? battery, IReadOnlyList<BatterySample> history, ShiftOccurrence shift, DateTimeOffset now)
    {
        if (battery?.Level is not { } level)
            return null;
        var charging = battery.Charging == true;
        var latest = new BatterySample(now, level, battery.HealthPercent, battery.CycleCount, charging, battery.Docked == true);
        var toFull = BatteryHistory.TimeToFull(latest, battery.TimeToFullMinutes, history);
        return ShiftRuntime.Predict(level, charging, toFull, BatteryHistory.ChargePerHour(history), BatteryHistory.DrainPerHour(history), shift.Start - now, shift.Length);
    }

    private IEnumerable<DeviceRecord> Active() => devices.NotRetired().Where(d => d.State == DeviceState.Active);
}

/// <summary>The shift settings as recorded by the serving appliance (table <c>shift_settings</c>).</summary>
internal sealed record RecordedShifts(IReadOnlyList<RecordedShift> Shifts, string TimeZone, int ReadyChargePercent, int MissingAfterMinutes, int ReadinessBeforeMinutes);

internal sealed record RecordedShift(string Name, string Start, string End);

/// <summary>
/// The site's shift schedule and the settings around it, from validated <see cref="ShiftOptions"/>. The serving
/// appliance records its settings at start; an operator command whose own configuration names no shifts (its shell
/// has not the service's environment) uses those, so it shows the schedule the service runs.
/// </summary>
internal sealed class ShiftCalendar(IOptions<ShiftOptions> options, EdgeStorage storage)
{
    private readonly Lazy<RecordedShifts> _settings = new(() => Effective(options.Value, storage));
    private ShiftSchedule? _schedule;

    public ShiftSchedule Schedule => _schedule ??= new ShiftSchedule(
        [.. _settings.Value.Shifts.Select(s => new ShiftDefinition(s.Name, ShiftOptions.ParseTime(s.Start), ShiftOptions.ParseTime(s.End)))],
        TimeZoneInfo.FindSystemTimeZoneById(_settings.Value.TimeZone));

    public int ReadyChargePercent => _settings.Value.ReadyChargePercent;

    public TimeSpan MissingAfter => TimeSpan.FromMinutes(_settings.Value.MissingAfterMinutes);

    public TimeSpan ReadinessBefore => TimeSpan.FromMinutes(_settings.Value.ReadinessBeforeMinutes);

    /// <summary>An instant as the site's wall clock shows it.</summary>
    public DateTimeOffset Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Schedule.Zone);

    /// <summary>Records this process's own settings as the service's (called by the serving appliance at start).</summary>
    public Task RecordAsync(DateTimeOffset now)
    {
        var json = JsonSerializer.Serialize(Own(options.Value), FloorJson.Default.RecordedShifts);
        return storage.WriteAsync(unit => unit.Db.Execute(
            "INSERT INTO shift_settings (id, settings, recorded_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, recorded_at = excluded.recorded_at",
            json, now.ToUnixTimeMilliseconds()));
    }

    private static RecordedShifts Own(ShiftOptions options) => new(
        [.. options.Shifts.Select(s => new RecordedShift(s.Name, s.Start, s.End))], options.Zone().Id, options.ReadyChargePercent, options.MissingAfterMinutes, options.ReadinessBeforeMinutes);

    private static RecordedShifts Effective(ShiftOptions options, EdgeStorage storage)
    {
        if (options.Shifts.Count > 0)
            return Own(options);
        var stored = storage.Read(db => db.ExecuteScalar<string?>("SELECT settings FROM shift_settings WHERE id = 1"));
        return stored is null ? Own(options) : JsonSerializer.Deserialize(stored, FloorJson.Default.RecordedShifts) ?? Own(options);
    }
}
