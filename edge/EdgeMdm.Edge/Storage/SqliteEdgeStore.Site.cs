namespace EdgeMdm.Edge.Storage;

/// <summary>Who this site is, as the seed or the hub last said; null before either has.</summary>
public sealed record SiteIdentity(string SiteId, string Name);

public interface ISiteIdentityStore
{
    SiteIdentity? Site();
}

public sealed partial class SqliteEdgeStore : ISiteIdentityStore
{
    public SiteIdentity? Site() =>
        _reads.Read(db => db.Query<SiteRow>("SELECT site_id AS SiteId, name AS Name FROM site WHERE id = 1").FirstOrDefault()) is { } row
            ? new SiteIdentity(row.SiteId, row.Name)
            : null;

    private sealed class SiteRow
    {
        public string SiteId { get; set; } = "";

        public string Name { get; set; } = "";
    }
}
