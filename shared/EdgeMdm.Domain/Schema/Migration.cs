using System.Globalization;

namespace EdgeMdm.Domain.Schema;

/// <summary>A numbered schema step from a file <c>NNNN_name.sql</c>: its number, its name and its statements.</summary>
public sealed record Migration(int Version, string Name, IReadOnlyList<string> Statements)
{
    /// <summary>
    /// The steps of a server's migration files (file name without <c>.sql</c>, and its text), in order, checked to be
    /// numbered 1, 2, 3... without gaps: a number used twice is a gap further on.
    /// </summary>
    /// <param name="files">Each file's name without <c>.sql</c> (<c>0003_tenants</c>) and its text.</param>
    /// <param name="owner">What the migrations are of, as the error names them (<c>Sqlite</c>, <c>the appliance's</c>).</param>
    public static IReadOnlyList<Migration> Numbered(IEnumerable<(string FileName, string Sql)> files, string owner)
    {
        ArgumentNullException.ThrowIfNull(files);
        var migrations = files.Select(file => Parse(file.FileName, file.Sql)).OrderBy(m => m.Version).ToList();
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException($"{owner} migrations must be numbered 1, 2, 3... without gaps; found {migrations[i].Version} at position {i + 1}");
        }

        return migrations;
    }

    /// <summary>
    /// A file's statements, split on ';' after removing <c>--</c> comments (SQLite runs one statement per call); our
    /// migrations hold no triggers or string literals with ';'.
    /// </summary>
    public static IReadOnlyList<string> SplitStatements(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var withoutComments = string.Join('\n', sql.Split('\n').Select(line =>
        {
            var comment = line.IndexOf("--", StringComparison.Ordinal);
            return comment >= 0 ? line[..comment] : line;
        }));
        return withoutComments.Split(';').Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
    }

    private static Migration Parse(string fileName, string sql)
    {
        var separator = fileName.IndexOf('_', StringComparison.Ordinal);
        if (separator <= 0 || !int.TryParse(fileName.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            throw new InvalidOperationException($"migration '{fileName}' is not named NNNN_name.sql");
        return new Migration(version, fileName[(separator + 1)..], SplitStatements(sql));
    }
}
