using EdgeMdm.Contracts.Sync;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using SQLite;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Site;

/// <summary>Who this site is, as the seed or the hub last said; null before either has.</summary>
public sealed record SiteIdentity(string SiteId, string Name);

/// <summary>The site's identity (table <c>site</c>): set by the seed file and by the hub's feed (<c>SiteRenamed</c>).</summary>
public interface ISiteIdentity
{
    /// <summary>Site id reported until a seed or the cloud hub names the site.</summary>
    public const string UnnamedSite = "unnamed-site";

    SiteIdentity? Site();

    /// <summary>The site's id as read inside a writer unit (an enrollment answers with it); <see cref="UnnamedSite"/> before it has one.</summary>
    string SiteIdIn(UnitOfWork unit);

    /// <summary>Names the site in the caller's unit; the same name again changes nothing.</summary>
    void Name(UnitOfWork unit, string siteId, string name);
}

internal sealed class SiteStore(EdgeStorage storage) : ISiteIdentity, IFeedHandler
{
    public IReadOnlyCollection<HubChange.ChangeOneofCase> Kinds { get; } = [HubChange.ChangeOneofCase.SiteRenamed];

    public SiteIdentity? Site() =>
        storage.Read(db => db.Query<SiteRow>("SELECT site_id AS SiteId, name AS Name FROM site WHERE id = 1").FirstOrDefault()) is { } row
            ? new SiteIdentity(row.SiteId, row.Name)
            : null;

    public string SiteIdIn(UnitOfWork unit) =>
        unit.Db.ExecuteScalar<string?>("SELECT site_id FROM site WHERE id = 1") ?? ISiteIdentity.UnnamedSite;

    public void Name(UnitOfWork unit, string siteId, string name) => Name(unit.Db, siteId, name);

    public bool Apply(UnitOfWork unit, HubChange change)
    {
        Name(unit.Db, change.SiteRenamed.SiteId, change.SiteRenamed.Name);
        return true;
    }

    private static void Name(SQLiteConnection db, string siteId, string name) =>
        db.Execute(
            "INSERT INTO site (id, site_id, name) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET site_id = excluded.site_id, name = excluded.name",
            siteId, name);

    private sealed class SiteRow
    {
        public string SiteId { get; set; } = "";

        public string Name { get; set; } = "";
    }
}

public static class SiteRegistration
{
    public static IServiceCollection AddSite(this IServiceCollection services) =>
        services.AddSingletonServing<SiteStore>(typeof(ISiteIdentity), typeof(IFeedHandler));
}
