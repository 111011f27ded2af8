using System.Globalization;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Spares;
using EdgeMdm.Edge.Alerts;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.Cradles;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;
using SQLite;

namespace EdgeMdm.Edge.Spares;

/// <summary>
/// The pools (tables <c>spare_pools</c>, <c>spare_members</c>) and their members' states. Devices are read through the
/// devices feature, charge from the device's report or its cradle slot, whichever is newer. A pool under its minimum
/// has the open alert <see cref="AlertKind"/> (subject: the model); it is looked at after every pool change and swap,
/// in that unit, and by <see cref="SpareMonitor"/> as check-ins move charge and compliance.
/// </summary>
internal sealed class SparePools(
    EdgeStorage storage, IDeviceRegistry devices, IDeviceQueries deviceReads, ICradleFloor cradles, IAlerts alerts, IAuditLog audit, IOptions<SpareOptions> options)
    : ISparePools, ISpareAdmin
{
    public const string AlertKind = "spares.below_minimum";

    public IReadOnlyList<SparePoolStatus> Pools() =>
        List().Select(p => new SparePoolStatus(p.Model, p.Minimum, p.Ready, p.ByState)).ToList();

    public IReadOnlyList<SparePool> List()
    {
        var (pools, members) = storage.Read(db => (SpareStore.Pools(db), SpareStore.Members(db)));
        return Build(pools, members, deviceReads.Find);
    }

    /// <summary>The pools as the writer's unit sees them.</summary>
    public IReadOnlyList<SparePool> List(UnitOfWork unit) =>
        Build(SpareStore.Pools(unit.Db), SpareStore.Members(unit.Db), id => devices.Find(unit, id));

    /// <summary>The member as the floor sees it now.</summary>
    public SpareMember Member(DeviceRecord device)
    {
        ArgumentNullException.ThrowIfNull(device);
        int? charge = device.ParsedStatus().Battery?.Level;
        var source = charge is null ? null : "device";
        var slot = cradles.SlotOf(device.Serial);
        if (slot is { ChargePercent: { } cradleCharge }
            && (charge is null || (slot.ObservedAt is { } seen && (device.LastCheckinAt is not { } reported || seen > reported))))
        {
            charge = cradleCharge;
            source = "cradle";
        }

        var state = SpareClassifier.Classify(new SpareFacts(device.State, device.Compliant, device.Assignment is not null, charge), options.Value.ReadyChargePercent);
        return new SpareMember(
            device.Id, device.Serial, device.Model, device.Group, device.Assignment, state, device.State, device.Compliant, charge, source,
            slot is null ? null : slot.CradleId + "/" + slot.Slot.ToString(CultureInfo.InvariantCulture), device.LastCheckinAt);
    }


    public static SpareState ToDomain(SpareState state) => Enum.Parse<SpareState>(state.ToString());

    private List<SparePool> Build(List<SpareStore.PoolRow> pools, List<SpareStore.MemberRow> members, Func<string, DeviceRecord?> find)
    {
        var byModel = members.ToLookup(m => m.Model, StringComparer.Ordinal);
        var result = new List<SparePool>(pools.Count);
        foreach (var pool in pools)
        {
            var views = byModel[pool.Model].Select(m => find(m.DeviceId)).OfType<DeviceRecord>().Select(Member).OrderBy(m => m.Serial, StringComparer.Ordinal).ToList();
            var byState = Enum.GetValues<SpareState>().ToDictionary(s => s, s => views.Count(v => v.State == s));
            var ready = byState[SpareState.Ready];
            result.Add(new SparePool(pool.Model, pool.Minimum, ready, ready < pool.Minimum, byState, views));
        }

        return result;
    }

    public Task<Outcome<SparePool>> SetPoolAsync(string model, int minimum, string actor, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimum);
        return storage.WriteAsync<Outcome<SparePool>>(unit =>
        {
            SpareStore.SetPool(unit.Db, model, minimum, actor, now);
            audit.Record(unit, new AuditEntry(actor, AuditActions.SparePool, model, Detail: $"pool minimum {minimum.ToString(CultureInfo.InvariantCulture)}"), now);
            return EvaluateAlerts(unit, now).Single(p => string.Equals(p.Model, model, StringComparison.Ordinal));
        });
    }

    public Task<Outcome<SpareMember>> AddAsync(string deviceIdOrSerial, string? pool, string actor, DateTimeOffset now) =>
        storage.WriteAsync<Outcome<SpareMember>>(unit =>
        {
            if (devices.Find(unit, deviceIdOrSerial) is not { } device)
                return new Refusal(RefusalKind.NotFound, "Unknown device", $"no device {deviceIdOrSerial} at this site");
            if (pool is not null && !string.Equals(pool, device.Model, StringComparison.Ordinal))
                return new Refusal(RefusalKind.Conflict, "Wrong pool", $"device {device.Serial} is a {device.Model}, not a {pool}: it belongs only in the {device.Model} pool");
            if (SpareStore.Pool(unit.Db, device.Model) is null)
                return new Refusal(RefusalKind.Conflict, "No pool", $"there is no {device.Model} pool; create it with '{Cli.OperatorCommands.Program} spares pool set {device.Model} --min N'");
            if (SpareStore.PoolOf(unit.Db, device.Id) is not null)
                return new Refusal(RefusalKind.Conflict, "Already a spare", $"device {device.Serial} is in the {device.Model} pool already");
            if (device.State == Domain.Lifecycle.DeviceState.Retired)
                return new Refusal(RefusalKind.Conflict, "Device retired", $"device {device.Serial} is retired and is nobody's spare");
            SpareStore.AddMember(unit.Db, device.Id, device.Model, actor, now);
            audit.Record(unit, new AuditEntry(actor, AuditActions.SparePool, device.Id, Detail: $"added to the {device.Model} pool"), now);
            EvaluateAlerts(unit, now);
            return Member(device);
        });

    public Task<Outcome<SpareMember>> RemoveAsync(string deviceIdOrSerial, string actor, DateTimeOffset now) =>
        storage.WriteAsync<Outcome<SpareMember>>(unit =>
        {
            if (devices.Find(unit, deviceIdOrSerial) is not { } device)
                return new Refusal(RefusalKind.NotFound, "Unknown device", $"no device {deviceIdOrSerial} at this site");
            if (SpareStore.PoolOf(unit.Db, device.Id) is null)
                return new Refusal(RefusalKind.NotFound, "Not a spare", $"device {device.Serial} is in no pool");
            SpareStore.RemoveMember(unit.Db, device.Id);
            audit.Record(unit, new AuditEntry(actor, AuditActions.SparePool, device.Id, Detail: $"removed from the {device.Model} pool"), now);
            EvaluateAlerts(unit, now);
            return Member(device);
        });

    /// <summary>Raises or clears each pool's alert in <paramref name="unit"/>; returns the pools as they are.</summary>
    public IReadOnlyList<SparePool> EvaluateAlerts(UnitOfWork unit, DateTimeOffset now)
    {
        var pools = List(unit);
        foreach (var pool in pools)
        {
            if (pool.BelowMinimum)
                alerts.Raise(unit, AlertKind, pool.Model, AlertMessage(pool), now);
            else
                alerts.Clear(unit, AlertKind, pool.Model, now);
        }

        return pools;
    }

    /// <summary>
    /// The periodic look: pools and alerts from reads, and a write only when an alert must open, close or say another
    /// count. Nothing is written on a quiet floor.
    /// </summary>
    public async Task<bool> EvaluateIfChangedAsync(DateTimeOffset now)
    {
        var expected = List().Where(p => p.BelowMinimum).ToDictionary(p => p.Model, AlertMessage, StringComparer.Ordinal);
        var open = alerts.Open().Where(a => string.Equals(a.Kind, AlertKind, StringComparison.Ordinal)).ToDictionary(a => a.Subject, a => a.Message, StringComparer.Ordinal);
        if (expected.Count == open.Count && expected.All(e => open.TryGetValue(e.Key, out var message) && string.Equals(message, e.Value, StringComparison.Ordinal)))
            return false;
        await storage.WriteAsync(unit => EvaluateAlerts(unit, now));
        return true;
    }

    private static string AlertMessage(SparePool pool) =>
        $"{pool.Model} pool has {pool.Ready.ToString(CultureInfo.InvariantCulture)} Ready spare(s), minimum {pool.Minimum.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The model of the pool the device is a member of, in the unit; null when it is none's.</summary>
    public static string? PoolOf(SQLiteConnection db, string deviceId) => SpareStore.PoolOf(db, deviceId);
}
