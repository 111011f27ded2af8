using Xunit.Abstractions;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// Two hub processes on one PostgreSQL database, as stateless replicas behind a load balancer: the site's
/// uplink goes through a proxy that moves it between them every second or two (cutting what was open, as a
/// balancer draining a replica would) while a fleet checks in. Nothing may be lost or doubled, and a replay of
/// everything to the other replica must change nothing.
/// </summary>
public sealed class ReplicaTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task Two_hub_replicas_on_one_postgres_lose_and_double_nothing_while_the_uplink_moves_between_them()
    {
        var stopwatch = Stopwatch.StartNew();
        await using var postgres = await ThrowawayPostgres.StartOrSkipAsync();
        var database = await postgres.CreateDatabaseAsync();
        output.WriteLine($"postgres up on port {postgres.Port} after {stopwatch.Elapsed.TotalSeconds:0.0} s");

        using var siteDir = new TempDirectory();
        await using var hubA = await HubProcess.StartAsync(database);
        await using var hubB = await HubProcess.StartAsync(database);

        // Central IT talks to one replica; the other sees the same site at once (nothing is cached in a replica).
        var (siteId, credential, token) = await hubA.AddSiteWithFleetTokenAsync("DC Replicas");
        Assert.Equal(0UL, await hubB.AppliedThroughAsync(siteId));

        await using var proxy = new FaultyProxy(hubA.GrpcUrl, seed: 3);
        // Retries capped at 2 s: on a loaded machine a few rounds cut before they moved anything would otherwise back
        // off for up to 15 s (the default), longer than the whole spells on a replica this test needs both to take part in.
        ApplianceProcess? appliance = await ApplianceProcess.StartAsync(
            siteDir.Path, checkinIntervalSeconds: 1, hub: (proxy.Url, credential), extraArgs: ["--sync-retry-max", "2"]);
        try
        {
            await SyncLedger.WaitFeedAsync(siteDir.Path, SyncLedger.FirstFeedLimit);
            output.WriteLine($"site has its feed after {stopwatch.Elapsed.TotalSeconds:0.0} s");

            // The fleet checks in while the uplink flips between the replicas.
            // A slow machine may cut a replica's first rounds before they move anything: the moves go on longer, within the fleet's 30 s.
            using var simulation = Simulation.Start(appliance, token, 100, "30s");
            var (flips, onA, onB) = await MoveBetweenAsync(proxy, hubA, hubB, siteId, TimeSpan.FromSeconds(14), TimeSpan.FromSeconds(30));
            var summary = await Simulation.FinishAsync(simulation, TimeSpan.FromMinutes(1));
            Assert.Contains(" errors=0 ", summary, StringComparison.Ordinal);
            output.WriteLine($"fleet done after {stopwatch.Elapsed.TotalSeconds:0.0} s: {summary.Trim()}");
            output.WriteLine($"{flips} flips, {proxy.Cuts} cuts; connections to A {proxy.ConnectionsTo(hubA.GrpcUrl)}, to B {proxy.ConnectionsTo(hubB.GrpcUrl)}; "
                + $"sequences applied while on A {onA}, on B {onB}");
            Assert.True(flips >= 6, $"the uplink moved only {flips} times");
            Assert.True(onA > 0 && onB > 0, $"both replicas must have applied part of the log: on A {onA}, on B {onB} "
                + $"({flips} flips, {proxy.Cuts} cuts, connections to A {proxy.ConnectionsTo(hubA.GrpcUrl)}, to B {proxy.ConnectionsTo(hubB.GrpcUrl)})"
                + $"\nA: {hubA.Log}\nB: {hubB.Log}\nsite: {appliance.Log}");

            await SyncLedger.WaitConvergedAsync(siteDir.Path, hubA, siteId, TimeSpan.FromSeconds(45));
            Assert.Equal(await hubA.AppliedThroughAsync(siteId), await hubB.AppliedThroughAsync(siteId));
            await SyncLedger.AssertPostgresHubMatchesSiteAsync(siteDir.Path, database, siteId);
            var digest = await SyncLedger.HubDigestAsync(database);
            output.WriteLine($"converged after {stopwatch.Elapsed.TotalSeconds:0.0} s, through sequence {SyncLedger.ProducedThrough(siteDir.Path)}");

            // A final replay to the other replica: the site's cursors are wiped (a restored backup) and it dials hub B
            // directly. It must relearn everything from B without the shared state changing.
            await appliance.KillAsync();
            await appliance.DisposeAsync();
            appliance = null;
            appliance = await ReplayToAsync(siteDir.Path, hubB, credential);
            Assert.Equal(digest, await SyncLedger.HubDigestAsync(database));
            await SyncLedger.WaitConvergedAsync(siteDir.Path, hubB, siteId, TimeSpan.FromSeconds(15));
            await SyncLedger.AssertPostgresHubMatchesSiteAsync(siteDir.Path, database, siteId);
            output.WriteLine($"replay to B changed nothing; done after {stopwatch.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            if (appliance is not null)
                await appliance.DisposeAsync();
        }
    }

    /// <summary>
    /// Moves the proxy's target between the replicas every 1–2 s for at least <paramref name="length"/>, and on until
    /// each replica has applied something or <paramref name="limit"/> is reached (each move cuts the
    /// open connections; now and then a spell is also cut in its middle, or breaks the link at a random byte), crediting the sequences the
    /// hub applied during each spell to the replica the uplink was on.
    /// </summary>
    private static async Task<(int Flips, ulong OnA, ulong OnB)> MoveBetweenAsync(FaultyProxy proxy, HubProcess hubA, HubProcess hubB, string siteId, TimeSpan length, TimeSpan limit)
    {
        var random = new Random(5);
        ulong onA = 0, onB = 0;
        var flips = 0;
        var applied = await hubA.AppliedThroughAsync(siteId);
        var started = DateTime.UtcNow;
        while (DateTime.UtcNow - started < length || ((onA == 0 || onB == 0) && DateTime.UtcNow - started < limit))
        {
            var spell = random.Next(1000, 2000);
            if (random.Next(3) == 0)
            {
                // A cut in the middle of a spell: the uplink reconnects to the same replica.
                var first = random.Next(200, spell - 200);
                await Task.Delay(first);
                proxy.Fault = proxy.Fault;
                spell -= first;
            }

            await Task.Delay(spell);
            var now = await hubB.AppliedThroughAsync(siteId);
            if (proxy.Target == hubA.GrpcUrl)
                onA += now - applied;
            else
                onB += now - applied;
            applied = now;
            proxy.Target = proxy.Target == hubA.GrpcUrl ? hubB.GrpcUrl : hubA.GrpcUrl;
            proxy.Fault = random.Next(4) == 0 ? UplinkFault.CutAtRandom : UplinkFault.None;
            flips++;
        }

        proxy.Fault = UplinkFault.None;
        return (flips, onA, onB);
    }

    /// <summary>Restarts the (stopped) appliance with its sync cursors wiped, dialling <paramref name="hub"/> directly.</summary>
    private static async Task<ApplianceProcess> ReplayToAsync(string siteDir, HubProcess hub, string credential)
    {
        using (var edge = new SQLiteConnection(SyncLedger.EdgeDatabase(siteDir)))
            edge.Execute("UPDATE sync_state SET feed_position = 0, acked_through = 0, offered_through = 0");
        var appliance = await ApplianceProcess.StartAsync(siteDir, checkinIntervalSeconds: 1, hub: (hub.GrpcUrl, credential));
        try
        {
            await SyncLedger.WaitFeedAsync(siteDir, SyncLedger.FirstFeedLimit);
            await Task.Delay(2000);
            return appliance;
        }
        catch
        {
            await appliance.DisposeAsync();
            throw;
        }
    }
}
