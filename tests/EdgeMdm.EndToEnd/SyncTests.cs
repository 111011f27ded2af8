
namespace EdgeMdm.EndToEnd;

/// <summary>
/// The appliance, the hub and a simulated fleet as real processes, with the uplink between them going
/// through a proxy that cuts and stalls it. Nothing may be lost or doubled, whatever happens to the link
/// or to either process.
/// </summary>
public sealed class SyncTests
{
    private static readonly TimeSpan SimulationLimit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Partitioned_uplink_loses_and_doubles_nothing_while_200_devices_check_in()
    {
        using var hubDir = new TempDirectory();
        using var siteDir = new TempDirectory();
        await using var hub = await HubProcess.StartAsync(hubDir.Path);
        var (siteId, credential, token) = await hub.AddSiteWithFleetTokenAsync("DC End To End");
        await using var proxy = new FaultyProxy(hub.GrpcUrl, seed: 2026);
        await using var appliance = await ApplianceProcess.StartAsync(siteDir.Path, checkinIntervalSeconds: 1, hub: (proxy.Url, credential));

        // Blueprints and the token reach the site through the proxy before devices arrive.
        await SyncLedger.WaitFeedAsync(siteDir.Path, SyncLedger.FirstFeedLimit);
        using var simulation = Simulation.Start(appliance, token, 200, "20s");
        var weather = new[] { UplinkFault.CutAtRandom, UplinkFault.Stall, UplinkFault.Down, UplinkFault.CutAtRandom, UplinkFault.None };
        var random = new Random(7);
        var stormEnds = DateTime.UtcNow.AddSeconds(18);
        while (DateTime.UtcNow < stormEnds)
        {
            proxy.Fault = weather[random.Next(weather.Length)];
            await Task.Delay(random.Next(500, 2500));
        }

        proxy.Fault = UplinkFault.None;
        var summary = await Simulation.FinishAsync(simulation, SimulationLimit);

        Assert.Contains(" errors=0 ", summary, StringComparison.Ordinal);
        Assert.True(proxy.Cuts > 0, "the proxy never cut a connection: the test did not test a partition");
        await SyncLedger.WaitConvergedAsync(siteDir.Path, hub, siteId, TimeSpan.FromSeconds(90));
        SyncLedger.AssertHubMatchesSite(siteDir.Path, hubDir.Path, siteId);
    }

    [Fact]
    public async Task Hub_killed_mid_stream_and_appliance_killed_mid_batch_then_a_wiped_cursor_change_nothing_twice()
    {
        using var hubDir = new TempDirectory();
        using var siteDir = new TempDirectory();
        var hub = await HubProcess.StartAsync(hubDir.Path);
        var (siteId, credential, token) = await hub.AddSiteWithFleetTokenAsync("DC End To End");
        var restUrl = hub.RestUrl;
        var grpcUrl = hub.GrpcUrl;
        await using var proxy = new FaultyProxy(grpcUrl, seed: 11);
        var appliance = await ApplianceProcess.StartAsync(siteDir.Path, checkinIntervalSeconds: 1, hub: (proxy.Url, credential));
        await SyncLedger.WaitFeedAsync(siteDir.Path, SyncLedger.FirstFeedLimit);

        // A backlog builds while the WAN is down: the site keeps serving its fleet.
        proxy.Fault = UplinkFault.Down;
        await Simulation.RunAsync(appliance, token, 100, "8s", SimulationLimit);
        Assert.True(SyncLedger.OutboxDepth(siteDir.Path) > 100, "no backlog built up while the uplink was down");

        // The WAN returns; the hub dies in the middle of the catch-up and comes back on the same ports.
        proxy.Fault = UplinkFault.None;
        await Task.Delay(300);
        await hub.KillAsync();
        await hub.DisposeAsync();
        hub = await HubProcess.StartAsync(hubDir.Path, restUrl, grpcUrl);

        // The appliance dies in the middle of a batch and restarts on its data directory.
        await Task.Delay(400);
        await appliance.KillAsync();
        await appliance.DisposeAsync();
        appliance = await ApplianceProcess.StartAsync(siteDir.Path, checkinIntervalSeconds: 1, hub: (proxy.Url, credential));
        await SyncLedger.WaitConvergedAsync(siteDir.Path, hub, siteId, TimeSpan.FromSeconds(90));
        SyncLedger.AssertHubMatchesSite(siteDir.Path, hubDir.Path, siteId);
        var digest = await SyncLedger.HubDigestAsync(hubDir.Path);

        // The site's cursors are wiped (a restored backup): it must relearn them, and the hub must not change.
        await appliance.KillAsync();
        await appliance.DisposeAsync();
        using (var edge = new SQLiteConnection(SyncLedger.EdgeDatabase(siteDir.Path)))
            edge.Execute("UPDATE sync_state SET feed_position = 0, acked_through = 0, offered_through = 0");
        appliance = await ApplianceProcess.StartAsync(siteDir.Path, checkinIntervalSeconds: 1, hub: (proxy.Url, credential));
        await SyncLedger.WaitFeedAsync(siteDir.Path, SyncLedger.FirstFeedLimit);
        await Task.Delay(2000);

        Assert.Equal(digest, await SyncLedger.HubDigestAsync(hubDir.Path));
        SyncLedger.AssertHubMatchesSite(siteDir.Path, hubDir.Path, siteId);
        await appliance.DisposeAsync();
        await hub.DisposeAsync();
    }

    [Fact]
    public async Task The_appliance_serves_checkins_from_the_first_second_with_the_hub_down()
    {
        using var siteDir = new TempDirectory();
        var nowhere = ServerProcess.FreeLoopbackUrl();

        await using var appliance = await ApplianceProcess.StartAsync(siteDir.Path, hub: (nowhere, "no-hub-answers-here"), seed: true);
        var summary = await Simulation.RunAsync(appliance, Processes.SeedToken, 20, "3s", SimulationLimit);
        var status = await Processes.RunAsync(Processes.EdgeDll, ["sync", "status", "--json", "--data-dir", siteDir.Path], TimeSpan.FromSeconds(60));

        Assert.StartsWith("enrolled=20 ", summary, StringComparison.Ordinal);
        Assert.Contains(" errors=0 ", summary, StringComparison.Ordinal);
        Assert.Equal(0, status.ExitCode);
        Assert.DoesNotContain("\"uplink\":\"Connected\"", status.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\"outboxDepth\":0,", status.Stdout, StringComparison.Ordinal);
    }
}
