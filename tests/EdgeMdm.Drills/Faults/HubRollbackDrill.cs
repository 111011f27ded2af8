namespace EdgeMdm.Drills.Faults;

/// <summary>
/// The hub put back to an older backup while the site works on: it forgets the last stretch of the site's changes,
/// which it had acknowledged. The site must notice at its next sync, send again what the hub lacks (the changes never
/// acknowledged since, and a snapshot of its records), and the hub must end holding every device and command as the
/// site has them and every other event exactly once, with nothing done by hand.
/// </summary>
internal sealed class HubRollbackDrill : IDrill
{
    public string Name => "hub-rollback";

    public string Title => "the hub restored from an older backup forgets the last stretch: the site notices and re-sends what the hub lacks";

    public async Task<DrillOutcome> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        var (devices, stretch) = context.Short ? (40, TimeSpan.FromSeconds(5)) : (200, TimeSpan.FromMinutes(2));
        var failures = new List<string>();
        var archive = Path.Combine(context.WorkDirectory, "hub-backup.tar");
        await using var site = await SiteUnderDrill.StartAsync(context, withProxy: false, devices, cancellationToken);
        using var client = site.Appliance!.CreateClient();
        var console = new DrillOperator(site.EdgeDir, site.Fleet.Devices);
        var random = new Random(context.Seed);

        // The work the backup holds, synced.
        await WorkAsync(site, client, console, stretch, random, failures, cancellationToken);
        await SyncLedger.WaitConvergedAsync(site.EdgeDir, site.Hub, site.Account.SiteId, TimeSpan.FromSeconds(90), failures, cancellationToken);
        var backup = await Built.RunAsync(Built.CloudDll, ["backup", archive, "--database", site.Hub.Database], TimeSpan.FromSeconds(120));
        if (backup.ExitCode != 0)
            return new DrillOutcome([], [.. failures, "edgemdm-cloud backup while serving: " + backup.Describe()]);
        var backedUpThrough = await site.Hub.AppliedThroughAsync(site.Account.SiteId);
        var forgottenFrom = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // The last stretch: the hub acknowledges all of it, then loses it.
        await WorkAsync(site, client, console, stretch, random, failures, cancellationToken);
        await SyncLedger.WaitConvergedAsync(site.EdgeDir, site.Hub, site.Account.SiteId, TimeSpan.FromSeconds(90), failures, cancellationToken);
        var acknowledgedThrough = await site.Hub.AppliedThroughAsync(site.Account.SiteId);
        using var shiftEnds = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Devices keep checking in through the restore and after it: the site serves them from local state.
        var checkIns = site.Fleet.CheckInAsync(() => client, TimeSpan.FromSeconds(1), context.Seed + 2, shiftEnds.Token);
        var (outage, forgottenTo) = await RollBackAsync(site, archive, failures, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(random.Next(2, 6)), cancellationToken);
        await console.WorkOnNextAsync(failures);
        await shiftEnds.CancelAsync();
        await checkIns;

        var converged = await SyncLedger.WaitConvergedAsync(site.EdgeDir, site.Hub, site.Account.SiteId, TimeSpan.FromSeconds(120), failures, cancellationToken);
        var noticed = CheckRolledBack(site, backedUpThrough, acknowledgedThrough, failures);
        failures.AddRange(SyncLedger.CheckAcknowledgedWrites(site.EdgeDir, site.Fleet.Devices));
        failures.AddRange(SyncLedger.CompareHubWithSite(site.EdgeDir, site.Hub.SqliteFile, site.Account.SiteId, SyncLedger.LedgerAllowance.None with { ForgottenByHub = new(forgottenFrom, forgottenTo) }));
        failures.AddRange(SyncLedger.CheckIntegrity(site.Hub.SqliteFile));
        return new DrillOutcome(
            [
                Invariant($"{devices} devices; the backup held the site's log through {backedUpThrough}, the hub had acknowledged through {acknowledgedThrough} when it was rolled back"),
                Invariant($"hub down for the restore {outage.TotalSeconds:0.0} s; check-ins meanwhile: {site.Fleet.AnswersText}; operator commands {console.Done}"),
                Invariant($"site log numbered through {SyncLedger.ProducedThrough(site.EdgeDir)}; hub converged {(converged is { } c ? c.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "never")} after the work stopped; rollback error lines in the appliance's last log lines: {noticed}"),
            ],
            failures);
    }

    /// <summary>The hub stopped, restored from the archive over its database, and started again where the site dials it.</summary>
    private static async Task<(TimeSpan Outage, long RestoredAt)> RollBackAsync(SiteUnderDrill site, string archive, List<string> failures, CancellationToken cancellationToken)
    {
        var outage = Stopwatch.StartNew();
        await site.Hub.StopAsync();
        await site.Hub.DisposeAsync();
        var restore = await Built.RunAsync(Built.CloudDll, ["restore", archive, "--database", site.Hub.Database, "--force"], TimeSpan.FromSeconds(120));
        if (restore.ExitCode != 0)
            failures.Add("edgemdm-cloud restore --force: " + restore.Describe());
        var restoredAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        site.Hub = await site.Hub.StartAgainAsync(cancellationToken);
        return (outage.Elapsed, restoredAt);
    }

    /// <summary>The rollback was real, the devices never noticed, the site said so once; returns how many times it said so.</summary>
    private static int CheckRolledBack(SiteUnderDrill site, ulong backedUpThrough, ulong acknowledgedThrough, List<string> failures)
    {
        if (acknowledgedThrough <= backedUpThrough)
            failures.Add(Invariant($"the hub forgot nothing (backup at {backedUpThrough}, acknowledged through {acknowledgedThrough}): the drill did not test a rollback"));
        if (site.Fleet.Answers.Keys.Any(a => !string.Equals(a, "200", StringComparison.Ordinal)))
            failures.Add("devices got other answers than 200 while only the hub was rolled back: " + site.Fleet.AnswersText);
        var noticed = site.Appliance!.Log.Split('\n').Count(l => l.Contains("but had acknowledged", StringComparison.Ordinal));
        if (noticed > 1)
            failures.Add(Invariant($"the site logged the rollback {noticed} times, not once"));
        return noticed;
    }

    /// <summary>A stretch of work: every device checks in for <paramref name="stretch"/> while the operator works on devices.</summary>
    private static async Task WorkAsync(SiteUnderDrill site, HttpClient client, DrillOperator console, TimeSpan stretch, Random random, List<string> failures, CancellationToken cancellationToken)
    {
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ends.CancelAfter(stretch);
        await Task.WhenAll(
            site.Fleet.CheckInAsync(() => client, TimeSpan.FromSeconds(1), random.Next(), ends.Token),
            console.WorkAsync(TimeSpan.FromMilliseconds(random.Next(200, 1500)), failures, ends.Token));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
