using System.Globalization;
using System.Reflection;

namespace EdgeMdm.Cloud.Storage;

/// <summary>
/// A numbered schema step, from an embedded <c>Storage/{Backend}/Migrations/NNNN_name.sql</c> when the two
/// dialects need different text, or <c>Storage/PortableMigrations/NNNN_name.sql</c> when one text serves both.
/// </summary>
internal sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>
    /// The file's statements, split on ';' at line ends after removing <c>--</c> comments (for SQLite, which
    /// runs one statement per call); our migrations hold no triggers or string literals with ';'.
    /// </summary>
    public IReadOnlyList<string> Statements() =>
        string.Join('\n', Sql.Split('\n').Select(line => line.Split("--", 2)[0]))
            .Split(';')
            .Select(s => s.Trim())
            .Where(s => s.Length > 0)
            .ToList();

    /// <summary>
    /// The backend's own migrations and the portable ones, checked to be numbered 1, 2, 3... without gaps
    /// (a number in both folders is caught as a repeat).
    /// </summary>
    public static IReadOnlyList<Migration> For(string backend)
    {
        var assembly = typeof(Migration).Assembly;
        var migrations = new[] { "EdgeMdm.Cloud." + backend + ".", "EdgeMdm.Cloud.Portable." }
            .SelectMany(prefix => assembly.GetManifestResourceNames()
                .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
                .Select(n => Load(assembly, n, n[prefix.Length..^".sql".Length])))
            .OrderBy(m => m.Version)
            .ToList();
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"{backend} migrations must be numbered 1, 2, 3... without gaps; found {migrations[i].Version} at position {i + 1}");
        }

        return migrations;
    }

    private static Migration Load(Assembly assembly, string resourceName, string fileName)
    {
        var separator = fileName.IndexOf('_', StringComparison.Ordinal);
        using var stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException("missing migration resource " + resourceName);
        using var reader = new StreamReader(stream);
        return new Migration(int.Parse(fileName[..separator], NumberStyles.None, CultureInfo.InvariantCulture), fileName[(separator + 1)..], reader.ReadToEnd());
    }
}
