using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Mqtt;

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

/// <summary>Table <c>mqtt_stats</c>: what the serving appliance last said of its broker, for <c>mqtt status</c> in another process.</summary>
public interface IMqttStatsStore
{
    Task RecordMqttStatsAsync(MqttStats stats);

    /// <summary>Null when no appliance on this data directory ever ran a broker.</summary>
    MqttStats? MqttStats();
}

internal sealed class MqttStatsStore(EdgeStorage storage) : IMqttStatsStore
{
    public Task RecordMqttStatsAsync(MqttStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return storage.WriteAsync(unit => unit.Db.Execute(
            """
            INSERT OR REPLACE INTO mqtt_stats (id, mode, endpoints, started_at, updated_at, connected, logins_accepted, logins_refused,
                subscribe_denied, publish_denied, malformed_dropped, wakes_published)
            VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            stats.Mode, stats.Endpoints, stats.StartedAt.ToUnixTimeMilliseconds(), stats.UpdatedAt.ToUnixTimeMilliseconds(), stats.Connected,
            stats.LoginsAccepted, stats.LoginsRefused, stats.SubscribeDenied, stats.PublishDenied, stats.MalformedDropped, stats.WakesPublished));
    }

    public MqttStats? MqttStats() =>
        storage.Read(db => db.Query<MqttStatsRow>(
                """
                SELECT mode AS Mode, endpoints AS Endpoints, started_at AS StartedAt, updated_at AS UpdatedAt, connected AS Connected,
                       logins_accepted AS LoginsAccepted, logins_refused AS LoginsRefused, subscribe_denied AS SubscribeDenied,
                       publish_denied AS PublishDenied, malformed_dropped AS MalformedDropped, wakes_published AS WakesPublished
                FROM mqtt_stats WHERE id = 1
                """)
            .Select(r => new MqttStats(
                r.Mode, r.Endpoints, DateTimeOffset.FromUnixTimeMilliseconds(r.StartedAt), DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt), r.Connected,
                r.LoginsAccepted, r.LoginsRefused, r.SubscribeDenied, r.PublishDenied, r.MalformedDropped, r.WakesPublished))
            .SingleOrDefault());

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
