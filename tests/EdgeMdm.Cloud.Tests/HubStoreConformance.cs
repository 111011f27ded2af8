using EdgeMdm.Cloud.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// What every hub store backend must do (nanomdm's e2e suite, run per backend). A subclass only says where
/// a fresh, empty database is; each call gives another one, so a test can compare a faulty delivery with a
/// clean one, and opening the same connection string twice gives two "replicas" of one database.
/// </summary>
public abstract partial class HubStoreConformance : IAsyncLifetime
{
    private const string SiteName = "DC Leipzig";
    private const string Tenant = TenantIds.Default;

    /// <summary>The position of the <c>SiteRenamed</c> every new site's feed starts with: read a feed after it for what came since.</summary>
    private const ulong Named = 1;
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private readonly List<ServiceProvider> _opened = [];

    protected FakeTimeProvider Time { get; } = new(Now);

    /// <summary>A connection string for a new, empty database.</summary>
    protected abstract Task<string> NewDatabaseAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var stores in _opened)
            await stores.DisposeAsync();
    }

    /// <summary>The hub's stores over the database, wired as the hub wires them.</summary>
    private async Task<HubStores> OpenAsync(string connectionString)
    {
        var stores = await HubStorage.OpenAsync(connectionString, Time, services => services.AddHubFeatures());
        lock (_opened)
            _opened.Add(stores);
        return new HubStores(stores);
    }

    private async Task<HubStores> NewStoreAsync() => await OpenAsync(await NewDatabaseAsync());

    // ---- helpers ---------------------------------------------------------------------------------------

    private async Task<(HubStores Store, string SiteId)> StoreWithSiteAsync()
    {
        var store = await NewStoreAsync();
        return (store, (await store.Sites.AddSiteAsync(Tenant, SiteName)).SiteId);
    }

    /// <summary>A new store with two sites of the default tenant, "Site A" and "Site B".</summary>
    private async Task<(HubStores Store, string A, string B)> StoreWithTwoSitesAsync()
    {
        var store = await NewStoreAsync();
        var a = (await store.Sites.AddSiteAsync(Tenant, "Site A")).SiteId;
        var b = (await store.Sites.AddSiteAsync(Tenant, "Site B")).SiteId;
        return (store, a, b);
    }

    /// <summary>The digest of a fresh database that received <paramref name="log"/> once, in one batch.</summary>
    private async Task<string> CleanDigestAsync(IReadOnlyList<SiteChange> log)
    {
        var (store, site) = await StoreWithSiteAsync();
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);
        return await store.Digest.StateDigestAsync();
    }

    /// <summary>
    /// Delivers <paramref name="batches"/> of <paramref name="log"/>, in order, to a site of a fresh store; asserts that
    /// the last acknowledgement covers the whole log and that the store holds what one clean delivery leaves.
    /// </summary>
    private async Task AssertDeliveredLikeCleanAsync(List<SiteChange> log, IEnumerable<IReadOnlyList<SiteChange>> batches)
    {
        var (store, site) = await StoreWithSiteAsync();
        var ack = 0UL;
        foreach (var batch in batches)
            ack = await store.Upstream.ApplyUpstreamAsync(site, batch, Now);

        Assert.Equal((ulong)log.Count, ack);
        Assert.Equal(await CleanDigestAsync(log), await store.Digest.StateDigestAsync());
    }

    /// <summary>
    /// A site's upstream log numbered 1..n: per device an enrollment, three transitions, two status reports
    /// and a result for a command the hub never queued (which must change nothing).
    /// </summary>
    private static List<SiteChange> SiteLog(int devices, bool compliant = true)
    {
        var log = new List<SiteChange>();
        void Add(string device, SiteChange change) => log.Add(Change((ulong)log.Count + 1, device, change));
        for (var d = 0; d < devices; d++)
        {
            var id = $"dev-{d}";
            Add(id, new SiteChange { Enrolled = new() { Serial = $"SN-{d}", Model = "TC52", Manufacturer = "Zebra", OsVersion = "13", AgentVersion = "1.0", Group = "pickers" } });
            Add(id, new SiteChange { Transitioned = new() { ToState = "Enrolling", Actor = "device", Reason = "enrolled" } });
            Add(id, new SiteChange { Transitioned = new() { FromState = "Enrolling", ToState = "Staging", Actor = "appliance", Reason = "enrolled" } });
            Add(id, new SiteChange { Status = new() { StatusJson = "{\"battery\":50}", Compliant = false, LastCheckinUnixMs = 1000 + d, Findings = { new DriftFinding { Item = "app", Severity = "Major" } } } });
            Add(id, new SiteChange { Transitioned = new() { FromState = "Staging", ToState = "Active", Actor = "appliance", Reason = "staged" } });
            var status = new StatusReported { StatusJson = "{\"battery\":49}", Compliant = compliant, LastCheckinUnixMs = 2000 + d, DeclarationsToken = "t1" };
            if (!compliant)
                status.Findings.Add(new DriftFinding { Item = "os", Expected = "14", Actual = "13", Severity = "Critical" });
            Add(id, new SiteChange { Status = status });
            Add(id, new SiteChange { CommandResult = new() { CommandId = $"unknown-{d}", Status = "succeeded" } });
        }

        return log;
    }

    private static List<SiteChange> Retire(int sequence, string deviceId) =>
        [Change((ulong)sequence, deviceId, new SiteChange { Transitioned = new() { FromState = "Active", ToState = "Retired", Actor = "admin", Reason = "broken" } })];

    private static List<SiteChange> Enroll(int sequence, string deviceId, string group) =>
        [Change((ulong)sequence, deviceId, new SiteChange { Enrolled = new() { Serial = "SN-" + deviceId, Group = group } })];

    private static SiteChange Change(ulong sequence, string deviceId, SiteChange change)
    {
        change.Sequence = sequence;
        change.DeviceId = deviceId;
        change.AtUnixMs = 1_000_000 + (long)sequence;
        return change;
    }
}
