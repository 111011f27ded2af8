using EdgeMdm.Cloud.Hosting;
using EdgeMdm.Cloud.Storage;
using EdgeMdm.Cloud.Sync;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// The counting report of the sync tests: what the site produced against what the hub holds, read straight
/// from both databases. Every upstream change carries (site, sequence); every lifecycle transition is one
/// event. A gap or a duplicate anywhere is a failure, and the message says which.
/// </summary>
internal static class SyncLedger
{
    public static string EdgeDatabase(string edgeDataDir) => Path.Combine(edgeDataDir, "edge.db");

    public static string HubDatabase(string hubDirectory) => Path.Combine(hubDirectory, "cloud.db");

    /// <summary>Highest sequence the site ever assigned to an outbox change (the log has no holes below it).</summary>
    public static ulong ProducedThrough(string edgeDataDir)
    {
        using var db = new SQLiteConnection(EdgeDatabase(edgeDataDir));
        return (ulong)db.ExecuteScalar<long>("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)");
    }

    public static long OutboxDepth(string edgeDataDir)
    {
        using var db = new SQLiteConnection(EdgeDatabase(edgeDataDir));
        return db.ExecuteScalar<long>("SELECT count(*) FROM outbox");
    }

    /// <summary>
    /// How long a fresh site may take to apply its first feed: a bound, not a speed. Alone it takes about 5 s; in a
    /// clean-clone run with every test project at once on two cores it once took over 30 s (not pinned down; a first
    /// sync that fails waits out the appliance's backoff, up to 15 s a time).
    /// </summary>
    public static readonly TimeSpan FirstFeedLimit = TimeSpan.FromSeconds(60);

    /// <summary>Waits until the site applied a first batch of its feed (blueprints, tokens).</summary>
    public static async Task WaitFeedAsync(string edgeDataDir, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using (var db = new SQLiteConnection(EdgeDatabase(edgeDataDir)))
            {
                if (db.ExecuteScalar<long>("SELECT feed_position FROM sync_state WHERE id = 1") > 0)
                    return;
            }

            if (DateTime.UtcNow > deadline)
                Assert.Fail($"the site applied nothing of its feed within {timeout}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the hub holds everything the site produced and the outbox is empty.</summary>
    public static async Task WaitConvergedAsync(string edgeDataDir, HubProcess hub, string siteId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var produced = ProducedThrough(edgeDataDir);
            var applied = await hub.AppliedThroughAsync(siteId);
            if (produced > 0 && applied == produced && OutboxDepth(edgeDataDir) == 0)
                return;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"no convergence within {timeout}: site produced through {produced}, hub applied through {applied}, outbox {OutboxDepth(edgeDataDir)}");
            await Task.Delay(250);
        }
    }

    /// <summary>The hub's view of every device equals the site's, and every transition is there exactly once.</summary>
    public static void AssertHubMatchesSite(string edgeDataDir, string hubDirectory, string siteId)
    {
        using var hub = new SQLiteConnection(HubDatabase(hubDirectory));
        AssertSameAsSite(edgeDataDir, LedgerRows.HubDevices(hub, siteId), LedgerRows.HubTransitions(hub, siteId));
    }

    /// <summary>
    /// <see cref="AssertHubMatchesSite"/> for hubs on PostgreSQL: the same projections, read with Npgsql from the
    /// database named by <paramref name="connectionString"/> (every replica's, since they share it).
    /// </summary>
    public static async Task AssertPostgresHubMatchesSiteAsync(string edgeDataDir, string connectionString, string siteId)
    {
        await using var hub = new NpgsqlConnection(connectionString);
        await hub.OpenAsync();
        AssertSameAsSite(edgeDataDir, await LedgerRows.HubDevicesAsync(hub, siteId), await LedgerRows.HubTransitionsAsync(hub, siteId));
    }

    /// <summary>The digest of the hub's whole shared state, read in-process from <paramref name="database"/> as the hub reads it.</summary>
    public static async Task<string> HubDigestAsync(string database)
    {
        await using var stores = await HubStorage.OpenAsync(database, TimeProvider.System, services => services.AddHubFeatures());
        return await stores.GetRequiredService<IStateDigest>().StateDigestAsync();
    }

    private static void AssertSameAsSite(string edgeDataDir, IEnumerable<DeviceView> hubDeviceRows, List<TransitionView> hubTransitions)
    {
        using var edge = new SQLiteConnection(EdgeDatabase(edgeDataDir));
        var siteDevices = LedgerRows.SiteDevices(edge).ToDictionary(d => d.DeviceId, StringComparer.Ordinal);
        var hubDevices = hubDeviceRows.ToDictionary(d => d.DeviceId, StringComparer.Ordinal);
        Assert.Equal(siteDevices.Keys.Order(StringComparer.Ordinal), hubDevices.Keys.Order(StringComparer.Ordinal));
        foreach (var (id, site) in siteDevices)
        {
            var held = hubDevices[id];
            Assert.True(site with { Status = held.Status } == held, $"device {id}: site {site}, hub {held}");
            Assert.True(string.Equals(site.Status, held.Status, StringComparison.Ordinal), $"device {id}: status differs\nsite {site.Status}\nhub  {held.Status}");
        }

        var siteTransitions = LedgerRows.SiteTransitions(edge);
        var missing = siteTransitions.Except(hubTransitions).ToList();
        var duplicated = hubTransitions.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(missing.Count == 0 && duplicated.Count == 0 && siteTransitions.Count == hubTransitions.Count,
            $"transitions: site {siteTransitions.Count}, hub {hubTransitions.Count}, missing {missing.Count} (first: {missing.FirstOrDefault()}), duplicated {duplicated.Count} (first: {duplicated.FirstOrDefault()})");
    }
}
