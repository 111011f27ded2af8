using System.IO.Compression;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Schema;
using SQLite;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// Upgrades of the hub from every schema it has shipped: <c>testdata/schemas/hub-NNNN.db.gz</c> is a SQLite hub database
/// as a hub at migration level NNNN left it, with representative rows (<c>tests/scripts/schema-fixtures.sh</c>).
/// </summary>
public sealed class ShippedSchemaTests : IDisposable
{
    private static readonly string SchemasDirectory = Path.Combine(AppContext.BaseDirectory, "testdata", "schemas");

    private readonly TempDirectory _directory = new("edgemdm-hub-shipped-");

    public void Dispose() => _directory.Dispose();

    private static IReadOnlyList<Migration> Current => Migrations.For("Sqlite");

    public static TheoryData<int> ShippedLevels() => [.. ShippedLevelNumbers()];

    private static IEnumerable<int> ShippedLevelNumbers() =>
        Directory.GetFiles(SchemasDirectory, "hub-*.db.gz").Order(StringComparer.Ordinal)
            .Select(file => int.Parse(Path.GetFileName(file).AsSpan(4, 4), System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The fixture of <paramref name="level"/> unpacked as an owner-only <c>cloud.db</c> of its own.</summary>
    private string DatabaseAt(int level)
    {
        var path = Path.Combine(_directory.Path, $"level-{level}", "cloud.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var packed = new GZipStream(File.OpenRead(Path.Combine(SchemasDirectory, $"hub-{level:D4}.db.gz")), CompressionMode.Decompress))
        using (var database = File.Create(path))
            packed.CopyTo(database);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static long Version(SQLiteConnection db) => db.ExecuteScalar<long>("SELECT coalesce(max(version), 0) FROM schema_migrations");

    private static Dictionary<string, long> RowCounts(SQLiteConnection db) =>
        db.QueryScalars<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'")
            .ToDictionary(table => table, table => db.ExecuteScalar<long>($"SELECT count(*) FROM \"{table}\""), StringComparer.Ordinal);

    private static void AssertIntact(SQLiteConnection db)
    {
        Assert.Equal(["ok"], db.QueryScalars<string>("PRAGMA integrity_check"));
        Assert.Empty(db.QueryScalars<string>("SELECT \"table\" FROM pragma_foreign_key_check"));
    }

    [Fact]
    public void A_database_of_every_shipped_level_but_the_current_is_kept_as_test_data()
    {
        // A new migration must come with its level's fixture (schema-fixtures.sh hub)
        Assert.Equal(Enumerable.Range(1, Current.Count), ShippedLevelNumbers());
    }

    [Theory]
    [MemberData(nameof(ShippedLevels))]
    public async Task A_database_of_a_shipped_level_migrates_to_the_current_schema_and_keeps_its_rows(int level)
    {
        // Arrange
        var path = DatabaseAt(level);
        Dictionary<string, long> before;
        using (var old = new SQLiteConnection(path))
        {
            Assert.Equal(level, Version(old));
            before = RowCounts(old);
        }

        // Act
        await using (var db = await HubStorage.OpenDatabaseAsync(path))
            await SchemaMigrator.MigrateAsync(db, default);

        // Assert: every table keeps its rows (0003 moved the blueprints into a table of the same name)
        using var upgraded = new SQLiteConnection(path);
        Assert.Equal(Current.Count, Version(upgraded));
        AssertIntact(upgraded);
        var after = RowCounts(upgraded);
        Assert.All(before, table => Assert.Equal((table.Key, table.Value), (table.Key, after[table.Key])));
        Assert.Equal(CanonicalHash.Sha256Hex("fixture-site-credential"), upgraded.ExecuteScalar<string>("SELECT credential_hash FROM sites WHERE site_id = 'fixture-dc'"));
        Assert.Equal(2L, upgraded.ExecuteScalar<long>("SELECT count(*) FROM devices WHERE site_id = 'fixture-dc'"));
    }

    [Fact]
    public async Task The_oldest_shipped_database_is_served_and_its_site_syncs_with_its_credential()
    {
        // Arrange: a hub database of the first release, its blueprint stored in clear
        var path = DatabaseAt(1);

        // Act
        List<HubChange> feed;
        await using (var hub = await RunningHub.StartAsync("--database", path))
            feed = (await hub.Sync("fixture-site-credential").PullAsync(0)).SelectMany(batch => batch.Changes).ToList();

        // Assert: the site is known by its credential and is fed its name; the blueprint was protected at start
        Assert.Contains(feed, change => change.ChangeCase == HubChange.ChangeOneofCase.SiteRenamed && string.Equals(change.SiteRenamed.Name, "Fixture DC", StringComparison.Ordinal));
        using var upgraded = new SQLiteConnection(path);
        Assert.False(upgraded.ExecuteScalar<string>("SELECT blueprint_json FROM blueprints WHERE group_name = 'pickers'").StartsWith('{'));
        Assert.Equal(Current.Count, Version(upgraded));
    }

    [Fact]
    public async Task A_migration_failing_part_way_leaves_the_old_version_with_nothing_of_the_new()
    {
        // Arrange: two real migrations pending, then one whose second statement fails
        var path = DatabaseAt(14);
        var failing = new Migration(Current.Count + 1, "fails_half_way", ["CREATE TABLE half_done (id INTEGER)", "INSERT INTO no_such_table VALUES (1)"]);

        // Act
        await using (var db = await HubStorage.OpenDatabaseAsync(path))
            await Assert.ThrowsAsync<SQLiteException>(() => SchemaMigrator.MigrateAsync(db, [.. Current, failing], default));

        // Assert: level 14 as it was, neither 0015's nor 0016's tables nor the failed one's
        using var old = new SQLiteConnection(path);
        Assert.Equal(14, Version(old));
        Assert.Equal(0L, old.ExecuteScalar<long>("SELECT count(*) FROM sqlite_master WHERE name IN ('audit_records', 'approvals', 'half_done')"));
        AssertIntact(old);
    }
}

/// <summary>The same all-or-nothing upgrade on PostgreSQL, whose DDL is transactional too.</summary>
[Collection(PostgresServerGroup.Name)]
public sealed class PostgresUpgradeTests(PostgresServer server)
{
    [SkippableFact]
    public async Task A_migration_failing_part_way_leaves_the_old_version_with_nothing_of_the_new()
    {
        // Arrange: a database at level 14
        var connectionString = await server.CreateDatabaseOrSkipAsync();
        await using var db = await HubStorage.OpenDatabaseAsync(connectionString);
        await SchemaMigrator.MigrateAsync(db, default, throughVersion: 14);
        var current = Migrations.For(db.Backend);
        var failing = new Migration(current.Count + 1, "fails_half_way", ["CREATE TABLE half_done (id INTEGER)", "INSERT INTO no_such_table VALUES (1)"]);

        // Act
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => SchemaMigrator.MigrateAsync(db, [.. current, failing], default));

        // Assert
        await using var s = await db.BeginAsync(write: false, default);
        Assert.Equal(14L, (await s.SingleOrDefaultAsync("SELECT max(version) FROM schema_migrations"))!.Long(0));
        Assert.Equal(0L, (await s.SingleOrDefaultAsync(
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('audit_records', 'approvals', 'half_done')"))!.Long(0));
    }
}
