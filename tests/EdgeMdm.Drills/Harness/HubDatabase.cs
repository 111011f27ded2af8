using Npgsql;
using SQLite;

namespace EdgeMdm.Drills.Harness;

/// <summary>What a hub holds of one site, read from its database as it is now.</summary>
internal sealed record HubHolding(
    IReadOnlyList<DeviceView> Devices, IReadOnlyList<TransitionView> Transitions, IReadOnlyList<HubCommandView> Commands, IReadOnlyList<string> StagingBatches);

/// <summary>
/// Where a drill's hub keeps its data (SQLite or PostgreSQL), how an operator backs it up while the hub serves and
/// restores it with the hub stopped (README, "Backing up the hub"), and how the drill reads what it holds.
/// </summary>
internal interface IHubDatabase : IAsyncDisposable
{
    /// <summary>"SQLite" or "PostgreSQL", for the report.</summary>
    string Kind { get; }

    /// <summary>What <c>edgemdm-cloud serve --database</c> and <c>admin-token create --database</c> take.</summary>
    string Database { get; }

    /// <summary>More switches for <c>serve</c> on this database.</summary>
    IReadOnlyList<string> ServeArguments { get; }

    /// <summary>The operator's backup into <paramref name="archive"/>, the hub serving; null when it worked, else what failed.</summary>
    Task<string?> BackUpAsync(string archive);

    /// <summary>The operator's restore of <paramref name="archive"/>, the hub stopped; null when it worked, else what failed.</summary>
    Task<string?> RestoreAsync(string archive);

    Task<HubHolding> ReadSiteAsync(string siteId);

    /// <summary>Whatever the store's own consistency checks find (SQLite: integrity and foreign keys); empty when clean.</summary>
    IReadOnlyList<string> CheckIntegrity();
}

/// <summary>The default hub store: <c>cloud.db</c> in a directory, backed up and restored with <c>edgemdm-cloud backup|restore</c>.</summary>
internal sealed class SqliteHubDatabase(string directory) : IHubDatabase
{
    public string Kind => "SQLite";

    public string Database => directory;

    public IReadOnlyList<string> ServeArguments => [];

    public string File => Path.Combine(directory, "cloud.db");

    public async Task<string?> BackUpAsync(string archive)
    {
        var backup = await Built.RunAsync(Built.CloudDll, ["backup", archive, "--database", directory], TimeSpan.FromSeconds(120));
        return backup.ExitCode == 0 ? null : "edgemdm-cloud backup while serving: " + backup.Describe();
    }

    public async Task<string?> RestoreAsync(string archive)
    {
        var restore = await Built.RunAsync(Built.CloudDll, ["restore", archive, "--database", directory, "--force"], TimeSpan.FromSeconds(120));
        return restore.ExitCode == 0 ? null : "edgemdm-cloud restore --force: " + restore.Describe();
    }

    public Task<HubHolding> ReadSiteAsync(string siteId)
    {
        using var hub = new SQLiteConnection(File, SQLiteOpenFlags.ReadOnly);
        return Task.FromResult(new HubHolding(
            LedgerRows.HubDevices(hub, siteId),
            LedgerRows.HubTransitions(hub, siteId),
            LedgerRows.HubCommands(hub, siteId),
            hub.QueryScalars<string>("SELECT batch_id FROM staging_batches WHERE site_id = ?", siteId)));
    }

    public IReadOnlyList<string> CheckIntegrity() => SyncLedger.CheckIntegrity(File);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// The scale-out hub store: a database on a throwaway PostgreSQL server (<c>tests/scripts/postgres.sh</c>, loopback, as
/// the tests start one), with the blob directory (package blobs, the key ring) the replicas would share. Backed up
/// with <c>pg_dump --format=custom</c> while the hub serves and restored with <c>pg_restore --clean --if-exists
/// --no-owner</c> over the same database with the hub stopped, as the README tells an operator. The blob directory
/// is left in place: nothing in it changes during a drill (no package is uploaded; the key ring is made at the first
/// start), so its host-level copy would put back the same files.
/// </summary>
internal sealed class PostgresHubDatabase : IHubDatabase
{
    private readonly ThrowawayPostgres _server;
    private readonly string _name;
    private readonly string _blobs;

    private PostgresHubDatabase(ThrowawayPostgres server, string database, string blobs)
    {
        _server = server;
        Database = database;
        _name = new NpgsqlConnectionStringBuilder(database).Database!;
        _blobs = blobs;
    }

    public string Kind => "PostgreSQL";

    public string Database { get; }

    public IReadOnlyList<string> ServeArguments => ["--blob-directory", _blobs];

    /// <summary>Starts the server and makes an empty database; <paramref name="blobs"/> is the hub's blob directory.</summary>
    public static async Task<PostgresHubDatabase> StartAsync(string blobs)
    {
        var (server, unavailable) = await ThrowawayPostgres.TryStartAsync();
        if (server is null)
            throw new InvalidOperationException("no PostgreSQL for the hub (tests/scripts/setup.sh installs it): " + unavailable);
        try
        {
            Directory.CreateDirectory(blobs);
            return new PostgresHubDatabase(server, await server.CreateDatabaseAsync(), blobs);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public Task<string?> BackUpAsync(string archive) => FailureOfAsync(_server.DumpAsync(_name, archive));

    public Task<string?> RestoreAsync(string archive) => FailureOfAsync(_server.RestoreAsync(_name, archive));

    public async Task<HubHolding> ReadSiteAsync(string siteId)
    {
        await using var hub = new NpgsqlConnection(Database + ";Pooling=false");
        await hub.OpenAsync();
        return new HubHolding(
            await LedgerRows.HubDevicesAsync(hub, siteId),
            await LedgerRows.HubTransitionsAsync(hub, siteId),
            await LedgerRows.HubCommandsAsync(hub, siteId),
            await LedgerRows.QueryAsync(hub, "SELECT batch_id FROM staging_batches WHERE site_id = @site", siteId, row => row.GetString(0)));
    }

    /// <summary>PostgreSQL keeps its own consistency (WAL, constraints checked at write): nothing here to check by hand.</summary>
    public IReadOnlyList<string> CheckIntegrity() => [];

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    /// <summary>Null when <paramref name="script"/> (a <c>postgres.sh</c> run) worked, else its failure with its output.</summary>
    private static async Task<string?> FailureOfAsync(Task script)
    {
        try
        {
            await script;
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }
}
