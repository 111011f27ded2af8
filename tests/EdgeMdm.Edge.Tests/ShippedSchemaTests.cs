using System.Diagnostics;
using EdgeMdm.Domain.Schema;
using EdgeMdm.Testing;
using SQLite;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Upgrades from every schema the appliance has shipped: <c>testdata/schemas/edge-NNNN.db.gz</c> is a database as an
/// appliance at migration level NNNN left it, with representative rows (<c>tests/scripts/schema-fixtures.sh</c> writes them).
/// </summary>
public sealed class ShippedSchemaTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-shipped-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<int> ShippedLevels() => [.. ShippedLevelNumbers()];

    private static IEnumerable<int> ShippedLevelNumbers() => SchemaFixtures.Levels("edge");

    /// <summary>The fixture of <paramref name="level"/> unpacked as <c>edge.db</c> in a data directory of its own.</summary>
    private string DataDirectoryAt(int level)
    {
        var dataDir = Path.Combine(_directory, "level-" + level.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SchemaFixtures.Unpack("edge", level, EdgeDatabase.PathIn(dataDir));
        return dataDir;
    }

    [Fact]
    public void A_database_of_every_earlier_schema_level_is_kept_as_test_data()
    {
        // Once a migration ships, the level before it is one an upgrade starts from: `schema-fixtures.sh edge` adds its file
        var levels = ShippedLevelNumbers().ToList();
        Assert.Equal(Enumerable.Range(1, Migrations.All.Count - 1), levels.Where(level => level < Migrations.All.Count));
        Assert.All(levels, level => Assert.InRange(level, 1, Migrations.All.Count));
    }

    [Theory]
    [MemberData(nameof(ShippedLevels))]
    public void A_database_of_a_shipped_level_migrates_to_the_current_schema_and_keeps_its_rows(int level)
    {
        // Arrange
        var dataDir = DataDirectoryAt(level);
        Dictionary<string, long> before;
        using (var old = new SQLiteConnection(EdgeDatabase.PathIn(dataDir)))
        {
            Assert.Equal(level, EdgeDatabase.SchemaVersion(old));
            before = SchemaFixtures.RowCounts(old);
        }

        // Act
        using var upgraded = EdgeDatabase.Open(dataDir);
        EdgeDatabase.Migrate(upgraded);

        // Assert: every table the old schema had and the new one still has (0008 dropped mqtt_stats) holds its rows
        Assert.Equal(Migrations.All.Count, EdgeDatabase.SchemaVersion(upgraded));
        SchemaFixtures.AssertIntact(upgraded);
        SchemaFixtures.AssertRowsKept(before, SchemaFixtures.RowCounts(upgraded));
        Assert.Equal(3L, upgraded.ExecuteScalar<long>("SELECT count(*) FROM devices WHERE id LIKE 'dev-fixture-%'"));
        Assert.Equal(
            EdgeMdm.Domain.Blueprints.CanonicalHash.Sha256Hex("fixture-secret-d1"),
            upgraded.ExecuteScalar<string>("SELECT secret_hash FROM devices WHERE id = 'dev-fixture-1'"));
    }

    [Fact]
    public async Task The_oldest_shipped_database_is_served_and_its_devices_check_in_with_their_secrets()
    {
        // Arrange: an appliance of the first release, its blueprint stored in clear
        var dataDir = DataDirectoryAt(1);

        // Act
        await using var server = await EdgeServer.StartInAsync(dataDir, services: null);
        var answer = await server.CheckinOkAsync("fixture-secret-d1", new CheckinRequest());
        using var unknown = await server.CheckinAsync("fixture-secret-unknown", new CheckinRequest());

        // Assert: the device is known by the secret it was given then, gets its queued command, and the clear blueprint
        // was protected at start
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Contains(answer.Commands, command => string.Equals(command.Id, "cmd-fixture-2", StringComparison.Ordinal));
        var storage = server.Get<EdgeStorage>();
        Assert.Equal("delivered", storage.Read(db => db.ExecuteScalar<string>("SELECT status FROM commands WHERE id = 'cmd-fixture-2'")));
        Assert.False(storage.Read(db => db.ExecuteScalar<string>("SELECT blueprint FROM blueprints WHERE group_name = 'pickers'")).StartsWith('{'));
        Assert.Equal(Migrations.All.Count, storage.Read(EdgeDatabase.SchemaVersion));
    }

    [Fact]
    public void A_migration_failing_part_way_leaves_the_old_version_with_nothing_of_the_new()
    {
        // Arrange: two real migrations pending, then one whose second statement fails
        var dataDir = DataDirectoryAt(19);
        var failing = new Migration(Migrations.All.Count + 1, "fails_half_way", ["CREATE TABLE half_done (id INTEGER)", "INSERT INTO no_such_table VALUES (1)"]);
        using var db = EdgeDatabase.Open(dataDir);

        // Act
        Assert.Throws<SQLiteException>(() => EdgeDatabase.Migrate(db, [.. Migrations.All, failing]));

        // Assert: level 19 as it was: neither 0020's nor 0021's tables and column, nor the failed one's table
        Assert.Equal(19, EdgeDatabase.SchemaVersion(db));
        Assert.Equal(0L, db.ExecuteScalar<long>("SELECT count(*) FROM sqlite_master WHERE name IN ('declaration_versions', 'approvals', 'half_done')"));
        Assert.Equal(0L, db.ExecuteScalar<long>("SELECT count(*) FROM pragma_table_info('commands') WHERE name = 'origin'"));
        SchemaFixtures.AssertIntact(db);
    }

    [Fact]
    public async Task An_upgrade_killed_at_random_moments_leaves_the_old_or_the_new_schema_never_a_mix()
    {
        // Arrange: level 2 with a busy site's history, so that the real upgrade (an operator command opening the data
        // directory, in a process of its own) takes long enough to be cut; then how long it takes uncut
        var template = DataDirectoryAt(2);
        using (var db = new SQLiteConnection(EdgeDatabase.PathIn(template)))
            db.RunInTransaction(() => Array.ForEach(BulkHistory, statement => db.Execute(statement)));
        var uncut = Stopwatch.StartNew();
        var uncutDir = CopyOf(template, "uncut");
        using (var upgrade = StartUpgrade(uncutDir))
        {
            await upgrade.WaitForExitAsync();
            Assert.Equal(0, upgrade.ExitCode);
        }

        uncut.Stop();
        using (var done = new SQLiteConnection(EdgeDatabase.PathIn(uncutDir)))
            Assert.Equal(Migrations.All.Count, EdgeDatabase.SchemaVersion(done));

        // Act and Assert: SIGKILL at a random moment of the same upgrade, from a fresh copy each round
        var moments = new List<string>();
        for (var round = 0; round < 4; round++)
        {
            var killAfter = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * uncut.ElapsedMilliseconds);
            var dataDir = CopyOf(template, "cut-" + round);
            using var upgrade = StartUpgrade(dataDir);
            await Task.Delay(killAfter);
            upgrade.Kill();
            await upgrade.WaitForExitAsync();
            using var db = new SQLiteConnection(EdgeDatabase.PathIn(dataDir));
            var version = EdgeDatabase.SchemaVersion(db);
            moments.Add($"{killAfter.TotalMilliseconds:F0} ms of {uncut.ElapsedMilliseconds} ms: level {version}");
            Assert.True(version == 2 || version == Migrations.All.Count, string.Join("; ", moments));
            SchemaFixtures.AssertIntact(db);
            // What each level's schema has, all of it or none of it: 0003's column and dropped index, 0021's table
            var newParts = db.ExecuteScalar<long>(
                "SELECT (SELECT count(*) FROM pragma_table_info('devices') WHERE name = 'pending_status_sequence') + (SELECT count(*) FROM sqlite_master WHERE name IN ('approvals', 'hub_keys')) + (SELECT count(*) = 0 FROM sqlite_master WHERE name = 'outbox_device_kind')");
            Assert.Equal(version == 2 ? 0 : 4, newParts);
            Assert.Equal(10_003L, db.ExecuteScalar<long>("SELECT count(*) FROM devices"));
        }
    }

    /// <summary>Ten thousand devices, their status changes waiting for the hub and their commands.</summary>
    private static readonly string[] BulkHistory =
    [
        """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
        INSERT INTO devices (id, serial, model, manufacturer, os_version, agent_version, group_name, state, secret_hash, enrolled_at)
        SELECT 'bulk-' || i, 'BULK-' || i, 'TC52', 'Zebra', '14', '1.0.0', 'pickers', 'Active', hex(randomblob(32)), 0 FROM n
        """,
        """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
        INSERT INTO outbox (at, device_id, kind, payload) SELECT i, 'bulk-' || (i % 10000 + 1), 'status', randomblob(200) FROM n
        """,
        """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
        INSERT INTO commands (id, device_id, type, parameters, status, created_at, created_by)
        SELECT (CASE WHEN i % 2 = 0 THEN 'cmd-' ELSE 'hub-' END) || i, 'bulk-' || (i % 10000 + 1), 'ring', '{}', 'succeeded', i, 'admin' FROM n
        """,
    ];

    private string CopyOf(string template, string name)
    {
        var dataDir = Path.Combine(_directory, name);
        Directory.CreateDirectory(dataDir);
        File.Copy(EdgeDatabase.PathIn(template), EdgeDatabase.PathIn(dataDir));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(EdgeDatabase.PathIn(dataDir), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return dataDir;
    }

    /// <summary>The appliance's own program, run as an operator runs it beside the service: it migrates on opening.</summary>
    private static Process StartUpgrade(string dataDir)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "edgemdm-edge"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "sync", "status", "--data-dir", dataDir })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        // Read so that a full pipe never blocks it, and kept with every test's log for scan-test-logs.sh.
        _ = new ProcessOutput(process, keep: 0);
        return process;
    }
}
