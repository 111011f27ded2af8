using System.Globalization;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.SiteTls;
using EdgeMdm.Edge.SiteUsers;
using EdgeMdm.Edge.Storage;
using EdgeMdm.ServiceDefaults.Backups;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using SQLite;

namespace EdgeMdm.Edge.Backup;

/// <summary>
/// A site's data directory as one archive (<see cref="DataArchive"/>, kind <c>site</c>), taken while the appliance serves,
/// and put back on a replacement box. What goes in: a consistent copy of <c>edge.db</c> (<c>VACUUM INTO</c> on a connection
/// of its own: a read transaction, so check-ins go on committing meanwhile), then every other file of the directory: the
/// site CA and server key (<c>tls/</c>: the certificate pin devices hold), the Data Protection key ring (<c>keys/</c>:
/// without it the blueprints and staging plans in the database cannot be read), the break-glass administrator's password
/// file (its hash is in the database; without the file nobody knows the password), cached packages (<c>blobs/</c>) and
/// staging batch sheets. Copied after the database, so every key that protects a row of the copy is in the archive.
/// What is left out, because a box makes it fresh or it is only a moment's state: <see cref="LeftOut"/>.
/// </summary>
internal static class SiteBackup
{
    public const string Kind = "site";

    private const string ServeRecord = "serve.json";

    /// <summary>
    /// Not archived: the live database files (the copy replaces them), <c>serve.json</c> (the running process's address),
    /// <c>operator.token</c> (this machine's operator commands' key to the serving appliance; <c>serve</c> writes a new one),
    /// the TLS directory's lock file, packages still being fetched (<c>*.part</c>: fetched again), and hidden files (the
    /// temp files of atomic writes, and an archive's own scratch files when it is written inside the data directory).
    /// </summary>
    public static bool LeftOut(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.StartsWith(EdgeDatabase.FileName, StringComparison.Ordinal)
            || name is ServeRecord or SiteOperatorAuthentication.TokenFile
            || string.Equals(name, SiteCertificates.DirectoryName + "/lock", StringComparison.Ordinal)
            || (name.StartsWith(BlobCache.DirectoryName + "/", StringComparison.Ordinal) && name.EndsWith(BlobCache.PartSuffix, StringComparison.Ordinal))
            || DataArchive.IsHidden(name);
    }

    /// <summary>Writes the archive of <paramref name="dataDirectory"/> to <paramref name="archivePath"/>; the site id is the caller's to say.</summary>
    public static BackupManifest Create(string dataDirectory, string archivePath, string? siteId, DateTimeOffset now)
    {
        var destination = Path.GetFullPath(archivePath);
        var scratch = Path.Combine(Path.GetDirectoryName(destination)!, "." + Path.GetFileName(destination) + ".snapshot-" + Guid.NewGuid().ToString("N")[..8]);
        OwnerOnlyFiles.CreateDirectory(scratch);
        try
        {
            var snapshot = Path.Combine(scratch, EdgeDatabase.FileName);
            long schema;
            using (var live = new SQLiteConnection(new SQLiteConnectionString(EdgeDatabase.PathIn(dataDirectory), SQLiteOpenFlags.ReadWrite | SQLiteOpenFlags.FullMutex, storeDateTimeAsTicks: false)))
            {
                live.BusyTimeout = TimeSpan.FromSeconds(30);
                live.Execute("VACUUM INTO ?", snapshot);
            }

            using (var copy = new SQLiteConnection(new SQLiteConnectionString(snapshot, SQLiteOpenFlags.ReadOnly, storeDateTimeAsTicks: false)))
                schema = SchemaVersion(copy);
            IEnumerable<(string, string)> files = [(EdgeDatabase.FileName, snapshot), .. DataArchive.FilesIn(dataDirectory, LeftOut)];
            return DataArchive.Write(destination, new BackupHeader(Kind, ProgramVersion, schema, siteId, now), files);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// Restores <paramref name="archivePath"/> as <paramref name="dataDirectory"/> (see <see cref="DataArchive.Restore"/>).
    /// Beyond the files' hashes, the database must pass SQLite's own check and be of a schema this appliance knows (an
    /// older one is migrated at start); it is then marked restored, so that its first Hello can tell what the hub got from
    /// the box it replaces (<see cref="Outbox.MarkRestored"/>).
    /// </summary>
    public static BackupManifest Restore(string archivePath, string dataDirectory, bool replace) =>
        DataArchive.Restore(archivePath, Kind, dataDirectory, replace, (staged, manifest) =>
        {
            var database = EdgeDatabase.PathIn(staged);
            if (!File.Exists(database))
                throw new BackupRefusedException($"{Path.GetFileName(archivePath)} is damaged: it holds no {EdgeDatabase.FileName}");
            using var db = new SQLiteConnection(new SQLiteConnectionString(database, SQLiteOpenFlags.ReadWrite, storeDateTimeAsTicks: false));
            var check = db.ExecuteScalar<string>("PRAGMA quick_check");
            if (!string.Equals(check, "ok", StringComparison.Ordinal))
                throw new BackupRefusedException($"{Path.GetFileName(archivePath)} is damaged: its database fails SQLite's check ({check})");
            var known = Migrations.All.Max(m => m.Version);
            var schema = SchemaVersion(db);
            if (schema > known || manifest.SchemaVersion > known)
                throw new BackupRefusedException($"{Path.GetFileName(archivePath)} was made by a newer appliance (schema {Math.Max(schema, manifest.SchemaVersion)}; this one knows up to {known}): upgrade this one first");
            Outbox.MarkRestored(db);
        });

    /// <summary>The schema level of a database: the highest migration it recorded.</summary>
    private static long SchemaVersion(SQLiteConnection db) =>
        db.ExecuteScalar<long>("SELECT coalesce(max(version), 0) FROM schema_migrations");

    public static string ProgramVersion { get; } = typeof(SiteBackup).Assembly.GetName().Version?.ToString() ?? "0";

    /// <summary>Size in MiB for the one line a command prints.</summary>
    public static string Mebibytes(BackupManifest manifest) =>
        (manifest.Files.Sum(f => f.Length) / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
