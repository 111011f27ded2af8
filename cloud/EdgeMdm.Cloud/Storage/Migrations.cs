using EdgeMdm.Domain.Schema;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Storage;

/// <summary>
/// The hub's schema steps, embedded from <c>Storage/{Backend}/Migrations/NNNN_name.sql</c> when the two dialects need
/// different text, or <c>Storage/PortableMigrations/NNNN_name.sql</c> when one text serves both.
/// </summary>
internal static class Migrations
{
    /// <summary>The backend's own migrations and the portable ones, numbered 1, 2, 3... without gaps.</summary>
    public static IReadOnlyList<Migration> For(string backend)
    {
        var assembly = typeof(Migrations).Assembly;
        var files = EmbeddedTexts.Under(assembly, "EdgeMdm.Cloud." + backend + ".", ".sql")
            .Concat(EmbeddedTexts.Under(assembly, "EdgeMdm.Cloud.Portable.", ".sql"));
        return Migration.Numbered(files, backend);
    }
}
