using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Schema;
using EdgeMdm.Testing;
using SQLite;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// Upgrades of the hub from every schema it has shipped: <c>testdata/schemas/hub-NNNN.db.gz</c> is a SQLite hub database
/// as a hub at migration level NNNN left it, with representative rows (<c>tests/scripts/schema-fixtures.sh</c>).
/// </summary>
public sealed class ShippedSchemaTests : IDisposable
{
    private readonly TempDirectory _directory = new("edgemdm-hub-shipped-");

    public void Dispose() => _directory.Dispose();

    private static IReadOnlyList<Migration> Current => Migrations.For("Sqlite");

    public static TheoryData<int> ShippedLevels() => [.. ShippedLevelNumbers()];

    private static IEnumerable<int> ShippedLevelNumbers() => SchemaFixtures.Levels("hub");

    /// <summary>The fixture of <paramref name="level"/> unpacked as a <c>cloud.db</c> of its own.</summary>
    private string DatabaseAt(int level)
    {
        var path = Path.Combine(_directory.Path, $"level-{level}", "cloud.db");
        SchemaFixtures.Unpack("hub", level, path);
        return path;
    }

    private static long Version(SQLiteConnection db) => db.ExecuteScalar<long>("SELECT coalesce(max(version), 0) FROM schema_migrations");

    [Fact]
    public void A_database_of_every_earlier_schema_level_is_kept_as_test_data()
    {
        // Once a migration ships, the level before it is one an upgrade starts from: `schema-fixtures.sh hub` adds its file
        var levels = ShippedLevelNumbers().ToList();
        Assert.Equal(Enumerable.Range(1, Current.Count - 1), levels.Where(level => level < Current.Count));
        Assert.All(levels, level => Assert.InRange(level, 1, Current.Count));
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
            before = SchemaFixtures.RowCounts(old);
        }

        // Act
        await using (var db = await HubStorage.OpenDatabaseAsync(path))
            await SchemaMigrator.MigrateAsync(db, default);

        // Assert: every table keeps its rows (0003 moved the blueprints into a table of the same name)
        using var upgraded = new SQLiteConnection(path);
        Assert.Equal(Current.Count, Version(upgraded));
        SchemaFixtures.AssertIntact(upgraded);
        SchemaFixtures.AssertRowsKept(before, SchemaFixtures.RowCounts(upgraded));
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
        SchemaFixtures.AssertIntact(old);
    }
}

/// <summary>The same all-or-nothing upgrade on PostgreSQL, whose DDL is transactional too.</summary>
[Collection(PostgresServerGroup.Name)]
public sealed class PostgresUpgradeTests(PostgresServer server)
{
    private static readonly string SeedsDirectory = Path.Combine(SchemaFixtures.Directory, "seeds");

    private static async Task<Dictionary<string, long>> RowCountsAsync(IHubDatabase db)
    {
        await using var s = await db.BeginAsync(write: false, default);
        var tables = await s.QueryAsync(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in tables.Select(row => row.Text(0)))
            counts[table] = (await s.SingleOrDefaultAsync($"SELECT count(*) FROM \"{table}\""))!.Long(0);
        return counts;
    }

    /// <summary>
    /// A PostgreSQL hub database as a hub at <paramref name="level"/> left it, built as the SQLite fixtures are (there is
    /// no PostgreSQL at hand to keep a binary one for): each migration K up to the level, then the same seeds/K.sql.
    /// </summary>
    [SkippableTheory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(15)]
    public async Task A_database_of_a_shipped_level_migrates_to_the_current_schema_and_keeps_its_rows(int level)
    {
        // Arrange
        await using var db = await HubStorage.OpenDatabaseAsync(await server.CreateDatabaseOrSkipAsync());
        for (var k = 1; k <= level; k++)
        {
            await SchemaMigrator.MigrateAsync(db, default, throughVersion: k);
            var seed = Path.Combine(SeedsDirectory, $"{k:D4}.sql");
            if (!File.Exists(seed))
                continue;
            await using var s = await db.BeginAsync(write: true, default);
            foreach (var statement in Migration.SplitStatements(await File.ReadAllTextAsync(seed)))
                await s.ExecuteAsync(statement);
            await s.CommitAsync();
        }

        var before = await RowCountsAsync(db);

        // Act
        await SchemaMigrator.MigrateAsync(db, default);

        // Assert
        var after = await RowCountsAsync(db);
        SchemaFixtures.AssertRowsKept(before, after);
        Assert.Equal(2L, after["devices"]);
        await using var read = await db.BeginAsync(write: false, default);
        Assert.Equal((long)Migrations.For(db.Backend).Count, (await read.SingleOrDefaultAsync("SELECT max(version) FROM schema_migrations"))!.Long(0));
    }

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
