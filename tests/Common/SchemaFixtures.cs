using System.Globalization;
using System.IO.Compression;
using SQLite;

namespace EdgeMdm.Testing;

/// <summary>
/// The databases of shipped schema levels kept as test data (<c>testdata/schemas/PREFIX-NNNN.db.gz</c>, written by
/// <c>tests/scripts/schema-fixtures.sh</c>), and what every upgrade of one must keep true. Linked into the appliance's and
/// the hub's tests.
/// </summary>
internal static class SchemaFixtures
{
    public static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "testdata", "schemas");

    /// <summary>The levels kept for <paramref name="prefix"/> (<c>edge</c>, <c>hub</c>), in order.</summary>
    public static IEnumerable<int> Levels(string prefix) =>
        System.IO.Directory.GetFiles(Directory, prefix + "-*.db.gz").Order(StringComparer.Ordinal)
            .Select(file => int.Parse(Path.GetFileName(file).AsSpan(prefix.Length + 1, 4), CultureInfo.InvariantCulture));

    /// <summary>The fixture unpacked to <paramref name="path"/>, owner-only as the servers create (and require) it.</summary>
    public static void Unpack(string prefix, int level, string path)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var packed = new GZipStream(File.OpenRead(Path.Combine(Directory, $"{prefix}-{level:D4}.db.gz")), CompressionMode.Decompress))
        using (var database = File.Create(path))
            packed.CopyTo(database);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>The number of rows of every table but the migrations' record.</summary>
    public static Dictionary<string, long> RowCounts(SQLiteConnection db) =>
        db.QueryScalars<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'")
            .ToDictionary(table => table, table => db.ExecuteScalar<long>($"SELECT count(*) FROM \"{table}\""), StringComparer.Ordinal);

    /// <summary>Every table of <paramref name="before"/> that <paramref name="after"/> still has holds as many rows.</summary>
    public static void AssertRowsKept(Dictionary<string, long> before, Dictionary<string, long> after) =>
        Assert.All(before.Where(table => after.ContainsKey(table.Key)), table => Assert.Equal((table.Key, table.Value), (table.Key, after[table.Key])));

    /// <summary>SQLite's own checks of the file and of every foreign key come back clean.</summary>
    public static void AssertIntact(SQLiteConnection db)
    {
        Assert.Equal(["ok"], db.QueryScalars<string>("PRAGMA integrity_check"));
        Assert.Empty(db.QueryScalars<string>("SELECT \"table\" FROM pragma_foreign_key_check"));
    }
}
