using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Edge.Blueprints;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using SQLite;

namespace EdgeMdm.Edge.Devices;

/// <summary>
/// The site's devices as last committed, read on pooled connections beside the writer, with the sightings not written
/// yet (<see cref="UnsavedSightings"/>: a device's last check-in time and count are always its latest).
/// </summary>
public interface IDeviceQueries
{
    /// <summary>Every device, by serial, classified at the clock's now; silent longer than <paramref name="staleAfter"/> (24 h when null) is stale.</summary>
    IReadOnlyList<DeviceSummary> ListDevices(TimeSpan? staleAfter = null);

    DeviceDetail? Device(string deviceIdOrSerial);

    DeviceRecord? BySecret(string secretHash);

    DeviceRecord? Find(string deviceIdOrSerial);

    /// <summary>Every device that is not retired, by serial.</summary>
    IReadOnlyList<DeviceRecord> NotRetired();

    /// <summary>The devices of these groups that are not retired.</summary>
    IReadOnlyList<DeviceRecord> NotRetiredIn(IReadOnlyCollection<string> groups);

    /// <summary>How many non-retired devices run each version of each app, by package then newest version first.</summary>
    IReadOnlyList<InstalledVersionCount> InstalledVersions();
}

/// <summary>A login an external broker should accept: user name, Mosquitto-format hash, and role.</summary>
public sealed record BrokerAccount(string UserName, string BrokerHash, string Role);

/// <summary>Device credentials for the MQTT broker: the same secret as the device API.</summary>
public interface IDeviceCredentials
{
    /// <summary>
    /// True when <paramref name="secretHash"/> (SHA-256 hex, as the device API hashes a bearer secret) is the credential of
    /// device <paramref name="deviceId"/> and the device may still check in (not retired).
    /// </summary>
    bool IsDeviceCredential(string deviceId, string secretHash);

    /// <summary>Devices that may check in and enrolled after the MQTT step (they have a broker hash), by id.</summary>
    IReadOnlyList<BrokerAccount> BrokerAccounts();
}

internal sealed class DeviceQueries(EdgeStorage storage, IBlueprints blueprints, UnsavedSightings sightings, TimeProvider clock) : IDeviceQueries, IDeviceCredentials, IUpstreamStatus
{
    public IReadOnlyList<DeviceSummary> ListDevices(TimeSpan? staleAfter = null)
    {
        var summarize = Summarizer(staleAfter);
        return storage.Read(db => db.Query<DeviceRow>(DeviceRow.Select + " ORDER BY serial")).Select(r => summarize(sightings.Overlay(r.ToRecord()))).ToList();
    }

    /// <summary>Device → summary at this moment, with the groups' blueprints as committed now.</summary>
    private Func<DeviceRecord, DeviceSummary> Summarizer(TimeSpan? staleAfter)
    {
        var byGroup = blueprints.LoadAll().ToDictionary(b => b.Group, StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        var window = staleAfter ?? ComplianceClassifier.DefaultStaleAfter;
        return device => DeviceSummary.Of(device, now, window, byGroup.GetValueOrDefault(device.Group));
    }

    public DeviceDetail? Device(string deviceIdOrSerial) =>
        storage.Read(db =>
        {
            if (DeviceRow.Find(db, deviceIdOrSerial) is not { } stored)
                return null;
            var device = sightings.Overlay(stored);
            var history = db.Query<TransitionRow>(
                    "SELECT from_state AS FromState, to_state AS ToState, actor AS Actor, reason AS Reason, at AS At FROM device_transitions WHERE device_id = ? ORDER BY id",
                    device.Id)
                .Select(t => t.ToRecord())
                .ToList();
            return new DeviceDetail(Summarizer(null)(device), device.ParsedFindings(), history, device.EnrollmentCount, ReenrollAllowances.History(db, device.Id))
            {
                Reported = device.ParsedStatus(),
            };
        });

    public DeviceRecord? BySecret(string secretHash) => storage.Read(db => DeviceRow.BySecret(db, secretHash)) is { } device ? sightings.Overlay(device) : null;

    public DeviceRecord? Find(string deviceIdOrSerial) => storage.Read(db => DeviceRow.Find(db, deviceIdOrSerial)) is { } device ? sightings.Overlay(device) : null;

    public IReadOnlyList<DeviceRecord> NotRetired() =>
        storage.Read(db => db.Query<DeviceRow>(DeviceRow.Select + " WHERE state <> 'Retired' ORDER BY serial")).Select(r => sightings.Overlay(r.ToRecord())).ToList();

    public IReadOnlyList<DeviceRecord> NotRetiredIn(IReadOnlyCollection<string> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0)
            return [];
        return storage.Read(db => db.Query<DeviceRow>(
                DeviceRow.Select + " WHERE state <> 'Retired' AND group_name IN (" + string.Join(", ", groups.Select(_ => "?")) + ")",
                groups.Cast<object>().ToArray()))
            .Select(r => sightings.Overlay(r.ToRecord()))
            .ToList();
    }

    public IReadOnlyList<InstalledVersionCount> InstalledVersions() =>
        storage.Read(db => db.Query<AppVersionRow>(
                """
                SELECT a.package_name AS PackageName, a.version_code AS VersionCode, max(a.version_name) AS VersionName, count(*) AS Devices
                FROM installed_apps a JOIN devices d ON d.id = a.device_id
                WHERE d.state <> 'Retired'
                GROUP BY a.package_name, a.version_code
                ORDER BY a.package_name, a.version_code DESC
                """))
            .Select(v => new InstalledVersionCount(v.PackageName, v.VersionCode, v.VersionName, v.Devices))
            .ToList();

    public bool IsDeviceCredential(string deviceId, string secretHash) =>
        BySecret(secretHash) is { } device && string.Equals(device.Id, deviceId, StringComparison.Ordinal) && DeviceLifecycle.MayCheckIn(device.State);

    public IReadOnlyList<BrokerAccount> BrokerAccounts() =>
        storage.Read(db => db.Query<BrokerAccountRow>(
                "SELECT id AS UserName, broker_hash AS BrokerHash FROM devices WHERE state <> 'Retired' AND broker_hash IS NOT NULL ORDER BY id"))
            .Select(r => new BrokerAccount(r.UserName, r.BrokerHash, "device"))
            .ToList();

    /// <summary>What a status row of the outbox stands for: the device's status as stored now.</summary>
    public StatusReported Current(SQLiteConnection db, string deviceId)
    {
        var select = db.Prepared("SELECT status, compliant, findings, coalesce(last_checkin_at, 0), reported_declarations_token FROM devices WHERE id = ?1").Bind(1, deviceId);
        try
        {
            if (!select.Step())
                return new StatusReported();
            var findings = System.Text.Json.JsonSerializer.Deserialize(select.Text(2), DevicesJson.Default.ListDriftFinding) ?? [];
            var stored = select.Long(3);
            return Reported(select.Text(0), select.Long(1) != 0, findings, select.NullableText(4), sightings.LastSeenMs(deviceId, stored) ?? stored);
        }
        finally
        {
            select.Reset();
        }
    }

    /// <summary>A device's status as the hub receives it: the merged status, its drift and the token it held.</summary>
    internal static StatusReported Reported(string statusJson, bool compliant, IEnumerable<Domain.Drift.DriftFinding> findings, string? heldDeclarationsToken, long lastCheckinMs)
    {
        var reported = new StatusReported
        {
            StatusJson = statusJson,
            Compliant = compliant,
            LastCheckinUnixMs = lastCheckinMs,
            DeclarationsToken = heldDeclarationsToken ?? "",
        };
        foreach (var finding in findings)
        {
            reported.Findings.Add(new Contracts.Sync.DriftFinding
            {
                Item = finding.Item,
                Expected = finding.Expected,
                Actual = finding.Actual,
                Severity = finding.Severity.ToString(),
            });
        }

        return reported;
    }

    private sealed class BrokerAccountRow
    {
        public string UserName { get; set; } = "";

        public string BrokerHash { get; set; } = "";
    }
}
