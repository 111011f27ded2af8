using System.CommandLine;
using System.Globalization;
using EdgeMdm.Cloud.Cli;
using EdgeMdm.Cloud.Storage;
using EdgeMdm.ServiceDefaults.Backups;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using SQLite;

namespace EdgeMdm.Cloud.Backup;

/// <summary>
/// <c>edgemdm-cloud backup FILE</c> and <c>restore FILE [--force]</c> for a hub on SQLite: its directory as one archive
/// (<see cref="DataArchive"/>, kind <c>hub</c>). The database is copied with <c>VACUUM INTO</c> on a connection of its own
/// while the hub serves (a read transaction: sites keep pushing); then every other file of the directory, copied after it
/// so that every key protecting a row of the copy is there: the Data Protection key ring (<c>keys/</c>: the signing keys'
/// private halves, blueprints and staging plans are protected with it) and the package blobs (<c>blobs/</c>, unless
/// <c>--blob-directory</c> put them elsewhere). A hub on PostgreSQL is backed up with <c>pg_dump</c> (README).
/// </summary>
public static class HubBackupCommand
{
    public const string Kind = "hub";

    internal static IEnumerable<Command> Create()
    {
        var backupFile = new Argument<string>("file") { Description = "the archive to write (a tar file, written owner-only; replaced if it exists)" };
        var backupDatabase = CliOptions.Database();
        var backup = new Command("backup", "copy a SQLite hub (database, key ring, package blobs) into one archive, while it serves") { backupFile, backupDatabase };
        backup.SetAction(result =>
        {
            var manifest = Backup(result.GetValue(backupDatabase)!, result.GetValue(backupFile)!, DateTimeOffset.UtcNow);
            Console.WriteLine($"backed up the hub (schema {manifest.SchemaVersion}, {manifest.Files.Count} files, {Mebibytes(manifest)} MiB) to {Path.GetFullPath(result.GetValue(backupFile)!)}");
            Console.WriteLine("the archive holds the hub's secrets (the key ring that opens its signing keys, blueprints and staging plans; site credential and API token hashes): keep it where only you can read it");
            return 0;
        });
        yield return backup;

        var restoreFile = new Argument<string>("file") { Description = "an archive `edgemdm-cloud backup` wrote" };
        var restoreDatabase = CliOptions.Database();
        var force = new Option<bool>("--force") { Description = "replace what the hub's directory holds (by default only an empty or missing one is restored into)" };
        var restore = new Command("restore", "put a SQLite hub's archive in place as its directory (stop the hub first)") { restoreFile, restoreDatabase, force };
        restore.SetAction(result =>
        {
            var (manifest, directory) = Restore(result.GetValue(restoreDatabase)!, result.GetValue(restoreFile)!, result.GetValue(force));
            var at = manifest.CreatedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
            Console.WriteLine($"restored the hub as backed up at {at} (hub {manifest.ProgramVersion}, schema {manifest.SchemaVersion}, {manifest.Files.Count} files) into {directory}");
            Console.WriteLine("start the hub: each site notices what the hub lost since the backup and sends it again");
            return 0;
        });
        yield return restore;
    }

    /// <summary>Writes the archive of the SQLite hub <paramref name="database"/> names to <paramref name="archivePath"/>.</summary>
    public static BackupManifest Backup(string database, string archivePath, DateTimeOffset now)
    {
        var path = SqliteFile(database);
        if (!File.Exists(path))
            throw new BackupRefusedException($"no hub database {path}");
        var destination = Path.GetFullPath(archivePath);
        var scratch = Path.Combine(Path.GetDirectoryName(destination)!, "." + Path.GetFileName(destination) + ".snapshot-" + Guid.NewGuid().ToString("N")[..8]);
        OwnerOnlyFiles.CreateDirectory(scratch);
        try
        {
            var snapshot = Path.Combine(scratch, Path.GetFileName(path));
            using (var live = new SQLiteConnection(new SQLiteConnectionString(path, SQLiteOpenFlags.ReadWrite | SQLiteOpenFlags.FullMutex, storeDateTimeAsTicks: false)))
            {
                live.BusyTimeout = TimeSpan.FromSeconds(30);
                live.Execute("VACUUM INTO ?", snapshot);
            }

            long schema;
            using (var copy = new SQLiteConnection(new SQLiteConnectionString(snapshot, SQLiteOpenFlags.ReadOnly, storeDateTimeAsTicks: false)))
                schema = SchemaVersion(copy);
            var name = Path.GetFileName(path);
            IEnumerable<(string, string)> files = [(name, snapshot), .. DataArchive.FilesIn(Path.GetDirectoryName(path)!, file => LeftOut(file, name))];
            return DataArchive.Write(destination, new BackupHeader(Kind, ProgramVersion, schema, null, now), files);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Restores <paramref name="archivePath"/> as the directory of the SQLite hub <paramref name="database"/> names.</summary>
    public static (BackupManifest Manifest, string Directory) Restore(string database, string archivePath, bool replace)
    {
        var path = SqliteFile(database);
        var directory = Path.GetDirectoryName(path)!;
        if (Directory.Exists(directory) && DirectoryInUse.By(directory) is { } pid)
            throw new BackupRefusedException($"process {pid} has files of {directory} open (a hub serving it?): stop it before restore");
        var manifest = DataArchive.Restore(archivePath, Kind, directory, replace, (staged, manifest) =>
        {
            var restored = Path.Combine(staged, Path.GetFileName(path));
            if (!File.Exists(restored))
                throw new BackupRefusedException($"{Path.GetFileName(archivePath)} holds no {Path.GetFileName(path)} (was it made with another --database file name?)");
            using var db = new SQLiteConnection(new SQLiteConnectionString(restored, SQLiteOpenFlags.ReadOnly, storeDateTimeAsTicks: false));
            var check = db.ExecuteScalar<string>("PRAGMA quick_check");
            if (!string.Equals(check, "ok", StringComparison.Ordinal))
                throw new BackupRefusedException($"{Path.GetFileName(archivePath)} is damaged: its database fails SQLite's check ({check})");
            var known = Migrations.For("Sqlite").Max(m => m.Version);
            if (SchemaVersion(db) > known)
                throw new BackupRefusedException($"{Path.GetFileName(archivePath)} was made by a newer hub (schema {SchemaVersion(db)}; this one knows up to {known}): upgrade this one first");
        });
        return (manifest, directory);
    }

    /// <summary>The live database files (the copy replaces them), package uploads under way (<c>blobs/tmp/*.part</c>) and hidden temp files.</summary>
    private static bool LeftOut(string file, string databaseName) =>
        file.StartsWith(databaseName, StringComparison.Ordinal)
        || file.EndsWith(".part", StringComparison.Ordinal)
        || DataArchive.IsHidden(file);

    private static string SqliteFile(string database)
    {
        var connectionString = HubOptions.ConnectionStringFor(database);
        if (HubStorage.IsPostgres(connectionString))
            throw new BackupRefusedException("this hub is on PostgreSQL: back it up with pg_dump, and its key ring and blob directory with the files of the host (README: backing up the hub)");
        return Path.GetFullPath(HubStorage.SqlitePath(connectionString));
    }

    private static long SchemaVersion(SQLiteConnection db) =>
        db.ExecuteScalar<long>("SELECT coalesce(max(version), 0) FROM schema_migrations");

    private static string ProgramVersion { get; } = typeof(HubBackupCommand).Assembly.GetName().Version?.ToString() ?? "0";

    private static string Mebibytes(BackupManifest manifest) =>
        (manifest.Files.Sum(f => f.Length) / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
