using SQLite;

namespace EdgeMdm.Edge.Tests;

/// <summary>Upgrades of a database written by an earlier version keep what it holds.</summary>
public sealed class MigrationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-migrations-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A database as an appliance of version <paramref name="version"/> left it: its migrations applied and recorded.</summary>
    private SQLiteConnection DatabaseAtVersion(int version)
    {
        var old = new SQLiteConnection(EdgeDatabase.PathIn(_directory));
        old.Execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
        foreach (var migration in Migrations.All.Where(m => m.Version <= version))
        {
            foreach (var statement in migration.Statements)
                old.Execute(statement);
            old.Execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", migration.Version, migration.Name);
        }

        return old;
    }

    /// <summary>The database opened and migrated as the appliance does at start.</summary>
    private SQLiteConnection Upgraded()
    {
        var upgraded = EdgeDatabase.Open(_directory);
        EdgeDatabase.Migrate(upgraded);
        return upgraded;
    }

    [Fact]
    public void Version_3_records_each_device_s_newest_status_row_and_drops_the_outbox_index()
    {
        using (var old = DatabaseAtVersion(2))
        {
            foreach (var id in new[] { "d1", "d2", "d3" })
            {
                old.Execute(
                    "INSERT INTO devices (id, serial, model, manufacturer, os_version, agent_version, group_name, state, secret_hash, enrolled_at) VALUES (?, ?, 'm', 'x', '14', '1', 'g', 'Active', ?, 0)",
                    id, "SN-" + id, "hash-" + id);
            }

            foreach (var (device, kind) in new[] { ("d1", "status"), ("d1", "enrolled"), ("d2", "status"), ("d1", "status"), ("d2", "transitioned") })
                old.Execute("INSERT INTO outbox (at, device_id, kind, payload) VALUES (0, ?, ?, x'')", device, kind);
        }

        using var upgraded = Upgraded();

        Assert.True(EdgeDatabase.SchemaVersion(upgraded) >= 3);
        Assert.Equal(4L, upgraded.ExecuteScalar<long?>("SELECT pending_status_sequence FROM devices WHERE id = 'd1'"));
        Assert.Equal(3L, upgraded.ExecuteScalar<long?>("SELECT pending_status_sequence FROM devices WHERE id = 'd2'"));
        Assert.Null(upgraded.ExecuteScalar<long?>("SELECT pending_status_sequence FROM devices WHERE id = 'd3'"));
        Assert.Equal(0L, upgraded.ExecuteScalar<long>("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'outbox_device_kind'"));
        Assert.Equal(5L, upgraded.ExecuteScalar<long>("SELECT count(*) FROM outbox"));
    }

    [Fact]
    public void Version_5_adds_the_package_tables_and_keeps_the_blueprints()
    {
        using (var old = DatabaseAtVersion(4))
        {
            old.Execute("INSERT INTO blueprints (group_name, blueprint, declarations_token, updated_at) VALUES ('pickers', '{}', 't', 0)");
        }

        using var upgraded = Upgraded();

        Assert.True(EdgeDatabase.SchemaVersion(upgraded) >= 5);
        Assert.Equal(1L, upgraded.ExecuteScalar<long>("SELECT count(*) FROM blueprints"));
        Assert.Equal(0L, upgraded.ExecuteScalar<long>("SELECT count(*) FROM packages") + upgraded.ExecuteScalar<long>("SELECT count(*) FROM package_cache"));
        Assert.Equal(0L, upgraded.ExecuteScalar<long>("SELECT count(*) FROM package_signing_key"));
        Assert.Equal(0L, upgraded.ExecuteScalar<long>("SELECT hits + misses + fetch_failures FROM package_cache_counters WHERE id = 1"));
    }
}
