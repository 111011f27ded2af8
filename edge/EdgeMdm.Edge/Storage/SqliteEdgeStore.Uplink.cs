namespace EdgeMdm.Edge.Storage;

/// <summary>The uplink as last recorded by the sync worker, for operator commands in other processes.</summary>
public sealed record UplinkRecord(string? State, DateTimeOffset? LastContactAt);

public interface IUplinkStore
{
    Task RecordUplinkAsync(string state, DateTimeOffset? lastContactAt);

    UplinkRecord Uplink();
}

public sealed partial class SqliteEdgeStore : IUplinkStore
{
    public Task RecordUplinkAsync(string state, DateTimeOffset? lastContactAt) =>
        _writer.WriteAsync(db => db.Execute(
            "UPDATE sync_state SET uplink_state = ?, last_contact_at = coalesce(?, last_contact_at) WHERE id = 1",
            state, lastContactAt?.ToUnixTimeMilliseconds()));

    public UplinkRecord Uplink() =>
        _reads.Read(db =>
        {
            var row = db.Query<UplinkRow>("SELECT uplink_state AS State, last_contact_at AS LastContactAt FROM sync_state WHERE id = 1").Single();
            return new UplinkRecord(row.State, row.LastContactAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null);
        });

    private sealed class UplinkRow
    {
        public string? State { get; set; }
        public long? LastContactAt { get; set; }
    }
}
