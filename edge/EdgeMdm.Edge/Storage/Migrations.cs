using EdgeMdm.Domain.Schema;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Storage;

/// <summary>The appliance's schema steps, embedded from <c>Storage/Migrations/NNNN_name.sql</c>.</summary>
public static class Migrations
{
    public static IReadOnlyList<Migration> All { get; } =
        Migration.Numbered(EmbeddedTexts.Under(typeof(Migrations).Assembly, "EdgeMdm.Edge.Migrations.", ".sql"), "the appliance's");
}
