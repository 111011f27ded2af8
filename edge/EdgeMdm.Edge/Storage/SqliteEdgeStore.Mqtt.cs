using System.Collections.Concurrent;
using System.Security.Cryptography;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Security;
using SQLite;

namespace EdgeMdm.Edge.Storage;

/// <summary>A cradle or site tool allowed on the broker (never its secret or hash).</summary>
public sealed record MqttClientRecord(string ClientId, string Role, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>A cradle or tool just created, with the secret shown this once.</summary>
public sealed record MqttClientCreated(string ClientId, string Role, string Secret);

/// <summary>A device to wake; <paramref name="Id"/> is the durable queue's row id, 0 for a wake raised in memory.</summary>
public sealed record DeviceWake(long Id, string DeviceId, string Reason);

/// <summary>Why a device is woken; the wake message carries it.</summary>
public static class WakeReasons
{
    public const string Command = "command";
    public const string Declarations = "declarations";
    public const string Staging = "staging";
}

/// <summary>The broker's counters as the serving appliance last wrote them.</summary>
public sealed record MqttStats(
    string Mode,
    string Endpoints,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    long Connected,
    long LoginsAccepted,
    long LoginsRefused,
    long SubscribeDenied,
    long PublishDenied,
    long MalformedDropped,
    long WakesPublished);

/// <summary>Who may log in to the broker: devices with their device credential, cradles and tools with their own.</summary>
public interface IMqttCredentialStore
{
    /// <summary>
    /// True when <paramref name="secretHash"/> (SHA-256 hex, as the device API hashes a bearer secret) is the credential of
    /// device <paramref name="deviceId"/> and the device may still check in (not retired).
    /// </summary>
    bool IsDeviceCredential(string deviceId, string secretHash);

    /// <summary>The cradle or tool when <paramref name="secret"/> is its secret; null for an unknown id or a wrong secret alike.</summary>
    MqttClientRecord? VerifyMqttClient(string clientId, string secret);

    /// <summary>Whether the cradle or tool still exists (it was not removed since it logged in).</summary>
    bool IsMqttClient(string clientId);
}

/// <summary>The operator's side of broker credentials (<c>edgemdm-edge mqtt-clients</c>).</summary>
public interface IMqttClientAdmin
{
    /// <summary>Creates the client and returns its secret, shown once; null when the id is taken.</summary>
    Task<string?> AddMqttClientAsync(string clientId, string role, string createdBy, DateTimeOffset now);

    IReadOnlyList<MqttClientRecord> ListMqttClients();

    /// <summary>False when there was no such client.</summary>
    Task<bool> RemoveMqttClientAsync(string clientId);
}

/// <summary>
/// Devices with work waiting. Durable wakes (a command or a staging step, possibly queued by another process on the
/// same data directory) are rows until <see cref="ForgetWakesAsync"/>; wakes for changed declarations are raised in
/// memory by the process that reloaded them.
/// </summary>
public interface IDeviceWakes
{
    /// <summary>Pulsed when this process queued a wake; other processes' wakes are found by polling.</summary>
    ChangeSignal WakesQueued { get; }

    /// <summary>Up to <paramref name="max"/> durable wakes, oldest first, then every wake raised in memory so far.</summary>
    IReadOnlyList<DeviceWake> TakeWakes(int max);

    /// <summary>Deletes the durable wakes up to and including <paramref name="throughId"/>.</summary>
    Task ForgetWakesAsync(long throughId);
}

/// <summary>A login for an external broker's password file: user name, Mosquitto-format hash, and role.</summary>
public sealed record BrokerAccount(string UserName, string BrokerHash, string Role);

/// <summary>Every login an external broker should accept, for the password and ACL files the appliance writes for it.</summary>
public interface IBrokerAccounts
{
    /// <summary>Devices that may check in (role <c>device</c>) and enrolled after the MQTT step, then cradles and tools; by user name.</summary>
    IReadOnlyList<BrokerAccount> BrokerAccounts();
}

public interface IMqttStatsStore
{
    Task RecordMqttStatsAsync(MqttStats stats);

    /// <summary>Null when no appliance on this data directory ever ran a broker.</summary>
    MqttStats? MqttStats();
}

// The MQTT side of the store: broker credentials, the wake queue, the broker's counters.
public sealed partial class SqliteEdgeStore : IMqttCredentialStore, IMqttClientAdmin, IDeviceWakes, IMqttStatsStore, IBrokerAccounts
{
    /// <summary>
    /// PBKDF2 count for cradle and tool secrets. They are 192 random bits, not something a person chose, so no count
    /// makes guessing them any harder; the count only costs the broker CPU on each connect, and a flood of bad logins
    /// must not be able to turn that into a denial of service (600,000 would be ~0.3 s each here).
    /// </summary>
    public const int MqttSecretIterations = 10_000;

    private static readonly Lazy<string> UnknownMqttClientHash = new(() => PasswordHash.Create(GeneratedPassword.New(), MqttSecretIterations));

    private readonly ConcurrentQueue<DeviceWake> _wakesInMemory = new();

    public ChangeSignal WakesQueued { get; } = new();

    public bool IsDeviceCredential(string deviceId, string secretHash)
    {
        var device = _reads.Read(db => DeviceBySecret(db, secretHash));
        return device is not null && string.Equals(device.Id, deviceId, StringComparison.Ordinal) && DeviceLifecycle.MayCheckIn(device.DeviceState);
    }

    public MqttClientRecord? VerifyMqttClient(string clientId, string secret)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(secret);
        var row = _reads.Read(db => db.Query<MqttClientRow>(MqttClientRow.Select + " WHERE client_id = ?", clientId).SingleOrDefault());
        // Outside the database, and also for an unknown id, so timing does not tell which ids exist.
        var verified = PasswordHash.Verify(secret, row?.SecretHash ?? UnknownMqttClientHash.Value);
        return verified && row is not null ? row.ToRecord() : null;
    }

    public bool IsMqttClient(string clientId) =>
        _reads.Read(db => db.ExecuteScalar<long>("SELECT count(*) FROM mqtt_clients WHERE client_id = ?", clientId)) > 0;

    public async Task<string?> AddMqttClientAsync(string clientId, string role, string createdBy, DateTimeOffset now)
    {
        var secret = "mq_" + Base64Url(RandomNumberGenerator.GetBytes(24));
        var hash = PasswordHash.Create(secret, MqttSecretIterations);
        var brokerHash = MosquittoPasswordHash.Create(secret);
        var inserted = await _writer.WriteAsync(db => db.Execute(
            "INSERT INTO mqtt_clients (client_id, role, secret_hash, broker_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING",
            clientId, role, hash, brokerHash, now.ToUnixTimeMilliseconds(), createdBy));
        return inserted == 1 ? secret : null;
    }

    public IReadOnlyList<MqttClientRecord> ListMqttClients() =>
        _reads.Read(db => db.Query<MqttClientRow>(MqttClientRow.Select + " ORDER BY client_id").Select(r => r.ToRecord()).ToList());

    public async Task<bool> RemoveMqttClientAsync(string clientId) =>
        await _writer.WriteAsync(db => db.Execute("DELETE FROM mqtt_clients WHERE client_id = ?", clientId)) == 1;

    public IReadOnlyList<BrokerAccount> BrokerAccounts() =>
        _reads.Read(db => db.Query<BrokerAccountRow>(
                """
                SELECT id AS UserName, broker_hash AS BrokerHash, 'device' AS Role FROM devices WHERE state <> 'Retired' AND broker_hash IS NOT NULL
                UNION ALL
                SELECT client_id, broker_hash, role FROM mqtt_clients
                ORDER BY 1
                """)
            .Select(r => new BrokerAccount(r.UserName, r.BrokerHash, r.Role))
            .ToList());

    public IReadOnlyList<DeviceWake> TakeWakes(int max)
    {
        var wakes = _reads.Read(db => db.Query<DeviceWakeRow>(
                "SELECT id AS Id, device_id AS DeviceId, reason AS Reason FROM device_wakes ORDER BY id LIMIT ?", max))
            .Select(r => new DeviceWake(r.Id, r.DeviceId, r.Reason))
            .ToList();
        while (_wakesInMemory.TryDequeue(out var wake))
            wakes.Add(wake);
        return wakes;
    }

    public Task ForgetWakesAsync(long throughId) =>
        _writer.WriteAsync(db => db.Execute("DELETE FROM device_wakes WHERE id <= ?", throughId));

    public Task RecordMqttStatsAsync(MqttStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return _writer.WriteAsync(db => db.Execute(
            """
            INSERT OR REPLACE INTO mqtt_stats (id, mode, endpoints, started_at, updated_at, connected, logins_accepted, logins_refused,
                subscribe_denied, publish_denied, malformed_dropped, wakes_published)
            VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            stats.Mode, stats.Endpoints, stats.StartedAt.ToUnixTimeMilliseconds(), stats.UpdatedAt.ToUnixTimeMilliseconds(), stats.Connected,
            stats.LoginsAccepted, stats.LoginsRefused, stats.SubscribeDenied, stats.PublishDenied, stats.MalformedDropped, stats.WakesPublished));
    }

    public MqttStats? MqttStats() =>
        _reads.Read(db => db.Query<MqttStatsRow>(
                """
                SELECT mode AS Mode, endpoints AS Endpoints, started_at AS StartedAt, updated_at AS UpdatedAt, connected AS Connected,
                       logins_accepted AS LoginsAccepted, logins_refused AS LoginsRefused, subscribe_denied AS SubscribeDenied,
                       publish_denied AS PublishDenied, malformed_dropped AS MalformedDropped, wakes_published AS WakesPublished
                FROM mqtt_stats WHERE id = 1
                """)
            .Select(r => new MqttStats(
                r.Mode, r.Endpoints, FromMs(r.StartedAt), FromMs(r.UpdatedAt), r.Connected, r.LoginsAccepted, r.LoginsRefused,
                r.SubscribeDenied, r.PublishDenied, r.MalformedDropped, r.WakesPublished))
            .SingleOrDefault());

    /// <summary>Queues a durable wake inside the caller's writer unit, so it commits (or not) with the work it announces.</summary>
    private static void QueueWake(SQLiteConnection db, string deviceId, string reason, long nowMs) =>
        db.Execute("INSERT INTO device_wakes (device_id, reason, queued_at) VALUES (?, ?, ?)", deviceId, reason, nowMs);

    /// <summary>Raises wakes for devices whose declarations this process just changed.</summary>
    private void WakeInMemory(IEnumerable<string> deviceIds, string reason)
    {
        var any = false;
        foreach (var id in deviceIds)
        {
            _wakesInMemory.Enqueue(new DeviceWake(0, id, reason));
            any = true;
        }

        if (any)
            WakesQueued.Pulse();
    }

    private sealed class MqttClientRow
    {
        public const string Select = "SELECT client_id AS ClientId, role AS Role, secret_hash AS SecretHash, created_at AS CreatedAt, created_by AS CreatedBy FROM mqtt_clients";

        public string ClientId { get; set; } = "";

        public string Role { get; set; } = "";

        public string SecretHash { get; set; } = "";

        public long CreatedAt { get; set; }

        public string CreatedBy { get; set; } = "";

        public MqttClientRecord ToRecord() => new(ClientId, Role, FromMs(CreatedAt), CreatedBy);
    }

    private sealed class BrokerAccountRow
    {
        public string UserName { get; set; } = "";

        public string BrokerHash { get; set; } = "";

        public string Role { get; set; } = "";
    }

    private sealed class DeviceWakeRow
    {
        public long Id { get; set; }

        public string DeviceId { get; set; } = "";

        public string Reason { get; set; } = "";
    }

    private sealed class MqttStatsRow
    {
        public string Mode { get; set; } = "";

        public string Endpoints { get; set; } = "";

        public long StartedAt { get; set; }

        public long UpdatedAt { get; set; }

        public long Connected { get; set; }

        public long LoginsAccepted { get; set; }

        public long LoginsRefused { get; set; }

        public long SubscribeDenied { get; set; }

        public long PublishDenied { get; set; }

        public long MalformedDropped { get; set; }

        public long WakesPublished { get; set; }
    }
}
