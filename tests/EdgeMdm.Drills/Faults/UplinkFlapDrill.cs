namespace EdgeMdm.Drills.Faults;

/// <summary>
/// A shift's work (devices checking in, an operator staging, commanding and quarantining) while the uplink to the hub
/// flaps through the fault proxy: cut mid-stream, stalled, down, up, at random moments from the seed. Then it stays up:
/// the hub must converge on the site with every change exactly once, and the site must have lost nothing it acknowledged.
/// </summary>
internal sealed class UplinkFlapDrill : IDrill
{
    private static readonly UplinkFault[] Weather = [UplinkFault.CutAtRandom, UplinkFault.Stall, UplinkFault.Down, UplinkFault.CutAtRandom, UplinkFault.None];

    public string Name => "uplink-flap";

    public string Title => "the uplink to the hub flaps (cuts mid-stream, stalls, down) through a shift: the hub converges, no gap, no duplicate";

    public async Task<DrillOutcome> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        var (devices, shift) = context.Short ? (60, TimeSpan.FromSeconds(30)) : (200, TimeSpan.FromMinutes(5));
        var failures = new List<string>();
        await using var site = await SiteUnderDrill.StartAsync(context, withProxy: true, devices, cancellationToken);
        var proxy = site.Proxy!;
        var appliance = site.Appliance!;
        using var shiftEnds = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        shiftEnds.CancelAfter(shift);
        using var client = appliance.CreateClient();
        var checkIns = site.Fleet.CheckInAsync(() => client, TimeSpan.FromSeconds(1), context.Seed, shiftEnds.Token);
        var console = new DrillOperator(site.EdgeDir, site.Fleet.Devices);
        var operatorWork = console.WorkAsync(TimeSpan.FromSeconds(2), failures, shiftEnds.Token);
        var random = new Random(context.Seed);
        var changes = 0;
        try
        {
            while (!shiftEnds.IsCancellationRequested)
            {
                proxy.Fault = Weather[random.Next(Weather.Length)];
                changes++;
                await Task.Delay(random.Next(300, 3000), shiftEnds.Token);
            }
        }
        catch (OperationCanceledException) when (shiftEnds.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The shift is over.
        }

        proxy.Fault = UplinkFault.None;
        await Task.WhenAll(checkIns, operatorWork);
        var converged = await SyncLedger.WaitConvergedAsync(site.EdgeDir, site.Hub, site.Account.SiteId, TimeSpan.FromSeconds(120), failures, cancellationToken);
        if (proxy.Cuts == 0)
            failures.Add("the proxy never cut a connection: the drill did not test a flapping uplink");
        if (site.Fleet.Count("200") == 0 || site.Fleet.Answers.Keys.Any(a => !string.Equals(a, "200", StringComparison.Ordinal)))
            failures.Add("devices got other answers than 200 while only the uplink failed: " + site.Fleet.AnswersText);
        failures.AddRange(SyncLedger.CheckAcknowledgedWrites(site.EdgeDir, site.Fleet.Devices));
        failures.AddRange(await SyncLedger.CompareHubWithSiteAsync(site.EdgeDir, site.Hub.Store, site.Account.SiteId));
        failures.AddRange(SyncLedger.CheckIntegrity(SyncLedger.EdgeDatabase(site.EdgeDir)));
        failures.AddRange(site.Hub.Store.CheckIntegrity());
        var figures = new List<string>
        {
            Invariant($"{devices} devices for {shift.TotalSeconds:0} s: {site.Fleet.AnswersText}; operator commands {console.Done} ({console.CommandsSent} sent to devices)"),
            Invariant($"uplink: {changes} changes of weather, {proxy.Cuts} connections cut, {proxy.RefusedConnections} refused, {proxy.ForwardedConnections} forwarded"),
            Invariant($"site log numbered through {SyncLedger.ProducedThrough(site.EdgeDir)}; hub converged {(converged is { } c ? c.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "never")} after the uplink came back for good"),
        };
        return new DrillOutcome(figures, failures);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
