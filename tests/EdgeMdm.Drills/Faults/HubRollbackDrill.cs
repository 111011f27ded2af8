namespace EdgeMdm.Drills.Faults;

/// <summary>
/// The hub put back to an older backup while the site works on: it forgets the last stretch of the site's changes,
/// which it had acknowledged. The site must notice at its next sync, send again what the hub lacks (the changes never
/// acknowledged since, and a snapshot of its records), and the hub must end holding every device and command as the
/// site has them and every other event exactly once, with nothing done by hand. On SQLite (the default hub) the backup is
/// <c>edgemdm-cloud backup</c> and <c>restore --force</c>; on PostgreSQL (<paramref name="postgres"/>, the scale-out hub)
/// <c>pg_dump</c> while it serves and <c>pg_restore --clean</c> with it stopped, as the README tells an operator.
/// </summary>
internal sealed class HubRollbackDrill(bool postgres = false) : IDrill
{
    public string Name => postgres ? "hub-rollback-postgres" : "hub-rollback";

    public string Title => postgres
        ? "as hub-rollback, on a PostgreSQL hub backed up with pg_dump and restored with pg_restore"
        : "the hub restored from an older backup forgets the last stretch: the site notices and re-sends what the hub lacks";

    public async Task<DrillOutcome> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (devices, stretch) = context.Short ? (40, TimeSpan.FromSeconds(5)) : (200, TimeSpan.FromMinutes(2));
        var failures = new List<string>();
        var archive = Path.Combine(context.WorkDirectory, postgres ? "hub-backup.dump" : "hub-backup.tar");
        IHubDatabase store = postgres
            ? await PostgresHubDatabase.StartAsync(Path.Combine(context.WorkDirectory, "hub-blobs"))
            : new SqliteHubDatabase(Path.Combine(context.WorkDirectory, "hub"));
        await using var site = await SiteUnderDrill.StartAsync(context, withProxy: false, devices, cancellationToken, hubStore: store);
        using var client = site.Appliance!.CreateClient();
        var console = new DrillOperator(site.EdgeDir, site.Fleet.Devices);
        var random = new Random(context.Seed);

        // The work the backup holds, synced.
        await WorkAsync(site, client, console, stretch, random, failures, cancellationToken);
        await SyncLedger.WaitConvergedAsync(site.EdgeDir, site.Hub, site.Account.SiteId, TimeSpan.FromSeconds(90), failures, cancellationToken);
        if (await store.BackUpAsync(archive) is { } backupFailed)
            return new DrillOutcome([], [.. failures, backupFailed]);
        var backedUpThrough = await site.Hub.AppliedThroughAsync(site.Account.SiteId, cancellationToken);
        var forgottenFrom = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // The last stretch: the hub acknowledges all of it, then loses it.
        await WorkAsync(site, client, console, stretch, random, failures, cancellationToken);
        await SyncLedger.WaitConvergedAsync(site.EdgeDir, site.Hub, site.Account.SiteId, TimeSpan.FromSeconds(90), failures, cancellationToken);
        var acknowledgedThrough = await site.Hub.AppliedThroughAsync(site.Account.SiteId, cancellationToken);
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
        var allowance = LedgerAllowance.None with { ForgottenByHub = new(forgottenFrom, forgottenTo), ResentSnapshot = true };
        failures.AddRange(await SyncLedger.CompareHubWithSiteAsync(site.EdgeDir, store, site.Account.SiteId, allowance));
        failures.AddRange(store.CheckIntegrity());
        return new DrillOutcome(
            [
                Invariant($"{store.Kind} hub, {devices} devices; the backup held the site's log through {backedUpThrough}, the hub had acknowledged through {acknowledgedThrough} when it was rolled back"),
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
        if (await site.Hub.Store.RestoreAsync(archive) is { } restoreFailed)
            failures.Add(restoreFailed);
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
