using System.Globalization;
using System.Reflection;

namespace EdgeMdm.Edge.Storage;

/// <summary>A numbered schema step, from an embedded <c>Storage/Migrations/NNNN_name.sql</c>.</summary>
public sealed record Migration(int Version, string Name, IReadOnlyList<string> Statements);

public static class Migrations
{
    private const string Prefix = "EdgeMdm.Edge.Migrations.";

    public static IReadOnlyList<Migration> All { get; } = Load();

    private static List<Migration> Load()
    {
        var assembly = typeof(Migrations).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => Parse(assembly, n))
            .OrderBy(m => m.Version)
            .ToList();
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"migrations must be numbered 1, 2, 3... without gaps; found {migrations[i].Version} at position {i + 1}");
        }

        return migrations;
    }

    private static Migration Parse(Assembly assembly, string resourceName)
    {
        var fileName = resourceName[Prefix.Length..^".sql".Length];
        var separator = fileName.IndexOf('_', StringComparison.Ordinal);
        var version = int.Parse(fileName[..separator], NumberStyles.None, CultureInfo.InvariantCulture);
        using var stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException("missing migration resource " + resourceName);
        using var reader = new StreamReader(stream);
        return new Migration(version, fileName[(separator + 1)..], SplitStatements(reader.ReadToEnd()));
    }

    /// <summary>Splits a migration file on ';' at line ends; our migrations hold no triggers or string literals with ';'.</summary>
    private static List<string> SplitStatements(string sql)
    {
        var withoutComments = string.Join('\n', sql.Split('\n').Select(line =>
        {
            var comment = line.IndexOf("--", StringComparison.Ordinal);
            return comment >= 0 ? line[..comment] : line;
        }));
        return withoutComments.Split(';')
            .Select(s => s.Trim())
            .Where(s => s.Length > 0)
            .ToList();
    }
}
