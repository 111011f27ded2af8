using System.Collections.Concurrent;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Floor;
using EdgeMdm.Edge.Checkin;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Batteries;

/// <summary>A stored sample with the battery and device it belongs to.</summary>
internal sealed record StoredSample(string Battery, string DeviceId, BatterySample Sample, int? TimeToFullMinutes);

/// <summary>
/// Battery samples (table <c>battery_samples</c>): written by check-ins that report their battery, one prepared INSERT
/// in the check-in's unit and nothing read back; read for reports; pruned by age from the shift worker.
/// </summary>
internal sealed class BatterySamples(EdgeStorage storage, IOptions<BatteryOptions> options) : ICheckinObserver
{
    // The last stored sample's time and state per battery, to skip samples that say nothing new: memory, not a read of
    // history. Bounded like the check-in's own caches; past it, every change is stored.
    private const int MaxRemembered = 50_000;

    private const string Insert =
        "INSERT INTO battery_samples (battery, device_id, at, level, health, cycles, charging, docked, time_to_full) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private const string Select =
        "SELECT battery, device_id, at, level, health, cycles, charging, docked, time_to_full FROM battery_samples";

    private readonly ConcurrentDictionary<string, Last> _last = new(StringComparer.Ordinal);
    private readonly long _minIntervalMs = options.Value.MinSampleIntervalSeconds * 1000L;

    /// <summary>The key a battery is stored under: its pack serial, else <c>device:{id}</c>.</summary>
    public static string KeyOf(BatteryStatus battery, string deviceId) =>
        string.IsNullOrWhiteSpace(battery.Serial) ? "device:" + deviceId : battery.Serial;

    public void Observe(UnitOfWork unit, DeviceRecord device, DeviceStatus previous, DeviceStatus changes, DeviceStatus status, DateTimeOffset now)
    {
        if (changes.Battery is not { } battery)
            return;
        var key = KeyOf(battery, device.Id);
        var at = now.ToUnixTimeMilliseconds();
        var charging = battery.Charging == true;
        var docked = battery.Docked == true;
        if (_last.TryGetValue(key, out var last) && last.Charging == charging && last.Docked == docked && at >= last.At && at - last.At < _minIntervalMs)
            return;

        unit.Db.Prepared(Insert)
            .Bind(1, key).Bind(2, device.Id).Bind(3, at).Bind(4, battery.Level).Bind(5, battery.HealthPercent).Bind(6, battery.CycleCount)
            .Bind(7, charging ? 1 : 0).Bind(8, docked ? 1 : 0).Bind(9, battery.TimeToFullMinutes)
            .Execute();
        unit.OnCommitted(() =>
        {
            if (_last.Count < MaxRemembered || _last.ContainsKey(key))
                _last[key] = new Last(at, charging, docked);
        });
    }

    /// <summary>Every sample since <paramref name="since"/>, oldest first.</summary>
    public IReadOnlyList<StoredSample> Since(DateTimeOffset since) =>
        storage.Read(db =>
        {
            var rows = new List<StoredSample>();
            var select = db.Prepared(Select + " WHERE at >= ? ORDER BY at").Bind(1, since.ToUnixTimeMilliseconds());
            try
            {
                while (select.Step())
                {
                    var sample = new BatterySample(
                        DateTimeOffset.FromUnixTimeMilliseconds(select.Long(2)), (int?)select.NullableLong(3), (int?)select.NullableLong(4),
                        (int?)select.NullableLong(5), select.Long(6) != 0, select.Long(7) != 0);
                    rows.Add(new StoredSample(select.Text(0), select.Text(1), sample, (int?)select.NullableLong(8)));
                }
            }
            finally
            {
                select.Reset();
            }

            return rows;
        });

    /// <summary>Deletes samples older than <paramref name="before"/>; returns how many.</summary>
    public Task<int> PruneAsync(DateTimeOffset before) =>
        storage.WriteAsync(unit => unit.Db.Execute("DELETE FROM battery_samples WHERE at < ?", before.ToUnixTimeMilliseconds()));

    private sealed record Last(long At, bool Charging, bool Docked);
}
