using System.Security.Cryptography;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>A cradle or site tool allowed on the broker (never its secret or hash).</summary>
public sealed record MqttClientRecord(string ClientId, string Role, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>A cradle or tool just created, with the secret shown this once.</summary>
public sealed record MqttClientCreated(string ClientId, string Role, string Secret);

/// <summary>The operator's side of broker credentials (<c>edgemdm-edge mqtt-clients</c>).</summary>
public interface IMqttClientAdmin
{
    /// <summary>Creates the client and returns its secret, shown once; null when the id is taken.</summary>
    Task<string?> AddMqttClientAsync(string clientId, string role, string createdBy, DateTimeOffset now);

    IReadOnlyList<MqttClientRecord> ListMqttClients();

    /// <summary>False when there was no such client.</summary>
    Task<bool> RemoveMqttClientAsync(string clientId);
}

/// <summary>Who may log in to the broker besides devices: cradles and tools with credentials of their own.</summary>
public interface IMqttClients
{
    /// <summary>The cradle or tool when <paramref name="secret"/> is its secret; null for an unknown id or a wrong secret alike.</summary>
    MqttClientRecord? VerifyMqttClient(string clientId, string secret);

    /// <summary>Whether the cradle or tool still exists (it was not removed since it logged in).</summary>
    bool IsMqttClient(string clientId);

    /// <summary>Every cradle and tool as an external broker's login, by id.</summary>
    IReadOnlyList<BrokerAccount> BrokerAccounts();
}

/// <summary>Cradles and tools on the broker (table <c>mqtt_clients</c>).</summary>
internal sealed class MqttClientStore(EdgeStorage storage) : IMqttClientAdmin, IMqttClients
{
    /// <summary>
    /// PBKDF2 count for cradle and tool secrets. They are 192 random bits, not something a person chose, so no count
    /// makes guessing them any harder; the count only costs the broker CPU on each connect, and a flood of bad logins
    /// must not be able to turn that into a denial of service (600,000 would be ~0.3 s each here).
    /// </summary>
    public const int MqttSecretIterations = 10_000;

    private const string Select = "SELECT client_id AS ClientId, role AS Role, secret_hash AS SecretHash, broker_hash AS BrokerHash, created_at AS CreatedAt, created_by AS CreatedBy FROM mqtt_clients";

    public MqttClientRecord? VerifyMqttClient(string clientId, string secret)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(secret);
        var row = storage.Read(db => db.Query<MqttClientRow>(Select + " WHERE client_id = ?", clientId).SingleOrDefault());
        // Outside the database, and also for an unknown id, so timing does not tell which ids exist.
        return PasswordHash.VerifyFound(secret, row?.SecretHash, MqttSecretIterations) && row is not null ? row.ToRecord() : null;
    }

    public bool IsMqttClient(string clientId) =>
        storage.Read(db => db.ExecuteScalar<long>("SELECT count(*) FROM mqtt_clients WHERE client_id = ?", clientId)) > 0;

    public IReadOnlyList<BrokerAccount> BrokerAccounts() =>
        storage.Read(db => db.Query<MqttClientRow>(Select + " ORDER BY client_id")).Select(r => new BrokerAccount(r.ClientId, r.BrokerHash, r.Role)).ToList();

    public async Task<string?> AddMqttClientAsync(string clientId, string role, string createdBy, DateTimeOffset now)
    {
        var secret = "mq_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        var hash = PasswordHash.Create(secret, MqttSecretIterations);
        var brokerHash = MosquittoPasswordHash.Create(secret);
        var inserted = await storage.WriteAsync(unit => unit.Db.Execute(
            "INSERT INTO mqtt_clients (client_id, role, secret_hash, broker_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING",
            clientId, role, hash, brokerHash, now.ToUnixTimeMilliseconds(), createdBy));
        return inserted == 1 ? secret : null;
    }

    public IReadOnlyList<MqttClientRecord> ListMqttClients() =>
        storage.Read(db => db.Query<MqttClientRow>(Select + " ORDER BY client_id").Select(r => r.ToRecord()).ToList());

    public async Task<bool> RemoveMqttClientAsync(string clientId) =>
        await storage.WriteAsync(unit => unit.Db.Execute("DELETE FROM mqtt_clients WHERE client_id = ?", clientId)) == 1;

    private sealed class MqttClientRow
    {
        public string ClientId { get; set; } = "";

        public string Role { get; set; } = "";

        public string SecretHash { get; set; } = "";

        public string BrokerHash { get; set; } = "";

        public long CreatedAt { get; set; }

        public string CreatedBy { get; set; } = "";

        public MqttClientRecord ToRecord() => new(ClientId, Role, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), CreatedBy);
    }
}
