namespace EdgeMdm.Drills.Faults;

/// <summary>
/// Mid-shift the operator backs the appliance up while it serves; the shift goes on (a few devices enroll, the operator
/// works), then the box dies (SIGKILL). A replacement is restored from the backup into a fresh data directory and starts
/// where the old one listened. Devices must go on checking in with the secrets they hold, no re-enrollment; the hub must
/// see no duplicate; and what happened after the backup goes as the README says: a device enrolled after it gets 401
/// "enroll again", enrolls again as a new device, and its old record stays at the hub, stale.
/// </summary>
internal sealed class ReplaceFromBackupDrill : IDrill
{
    public string Name => "replace-from-backup";

    public string Title => "the appliance dies mid-shift and a replacement is restored from its backup: devices check in without re-enrolling";

    public async Task<DrillOutcome> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        var (devices, late, stretch) = context.Short ? (40, 4, TimeSpan.FromSeconds(6)) : (200, 20, TimeSpan.FromMinutes(2));
        var failures = new List<string>();
        var random = new Random(context.Seed);
        var archive = Path.Combine(context.WorkDirectory, "site-backup.tar");
        var newBox = Path.Combine(context.WorkDirectory, "replacement");
        await using var site = await SiteUnderDrill.StartAsync(context, withProxy: false, devices, cancellationToken);
        var oldBox = site.Appliance!;
        using var oldClient = oldBox.CreateClient();
        var client = oldClient;
        var console = new DrillOperator(site.EdgeDir, site.Fleet.Devices);
        using var shift = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var checkIns = site.Fleet.CheckInAsync(() => client, TimeSpan.FromSeconds(1), context.Seed, shift.Token);
        await OperatorStretchAsync(console, stretch, random, failures, cancellationToken);

        // The backup, while devices check in.
        var backup = await Built.EdgeAsync(site.EdgeDir, "backup", archive);
        if (backup.ExitCode != 0)
            return new DrillOutcome([], ["edgemdm-edge backup while serving: " + backup.Describe()]);
        var backedUpAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var lateFleet = new DrillFleet();
        await lateFleet.EnrollAsync(client, site.Account.Token, "LATE", late, cancellationToken);
        await OperatorStretchAsync(console, stretch, random, failures, cancellationToken);
        // Let the hub have what the old box did after the backup, as it usually would before a box dies.
        await SyncLedger.WaitConvergedAsync(site.EdgeDir, site.Hub, site.Account.SiteId, TimeSpan.FromSeconds(60), failures, cancellationToken);
        await Task.Delay(random.Next(0, 1500), cancellationToken);
        await oldBox.KillAsync();
        var diedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var downtime = Stopwatch.StartNew();

        site.Appliance = await ReplaceAsync(archive, newBox, site, oldBox.Url, cancellationToken);
        await oldBox.DisposeAsync();
        using var newClient = site.Appliance.CreateClient();
        client = newClient;
        site.Fleet.ResetAnswers();
        await WaitAllCheckInAsync(site.Fleet, client, failures, cancellationToken);
        downtime.Stop();

        await CheckLateDevicesAsync(lateFleet, client, site.Account.Token, failures, cancellationToken);
        await OperatorStretchAsync(console, stretch, random, failures, cancellationToken);
        await shift.CancelAsync();
        await checkIns;

        var converged = await SyncLedger.WaitConvergedAsync(newBox, site.Hub, site.Account.SiteId, TimeSpan.FromSeconds(120), failures, cancellationToken);
        await CheckReplacedAsync(site, newBox, lateFleet, new(backedUpAt, diedAt), failures);
        return new DrillOutcome(
            [
                Invariant($"{devices} devices enrolled before the backup, {late} after it; operator commands {console.Done}"),
                Invariant($"from the kill to every device served by the replacement with its saved secret: {downtime.Elapsed.TotalSeconds:0.0} s (restore and start included); the fleet's check-ins since: {site.Fleet.AnswersText}"),
                Invariant($"late devices at the replacement: {lateFleet.AnswersText}, then enrolled again as new devices; hub converged {(converged is { } c ? c.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "never")} after the work stopped"),
            ],
            failures);
    }

    /// <summary>The replacement: restored from the archive into a fresh directory, started where the old box listened (the same name on the site's DNS).</summary>
    private static async Task<DrillAppliance> ReplaceAsync(string archive, string newBox, SiteUnderDrill site, Uri url, CancellationToken cancellationToken)
    {
        var restore = await Built.EdgeAsync(newBox, "restore", archive);
        if (restore.ExitCode != 0)
            throw new InvalidOperationException("edgemdm-edge restore into a fresh directory: " + restore.Describe());
        return await DrillAppliance.StartAsync(newBox, site.Uplink, site.Account.Credential, cancellationToken, url: url);
    }

    /// <summary>Devices enrolled after the backup are unknown to the replacement: told to enroll again (401), they do, as new devices.</summary>
    private static async Task CheckLateDevicesAsync(DrillFleet lateFleet, HttpClient client, string token, List<string> failures, CancellationToken cancellationToken)
    {
        await lateFleet.CheckInOnceAsync(client, cancellationToken);
        var late = lateFleet.Devices.Count;
        if (lateFleet.Count("401") != late || !lateFleet.Problems.All(p => p.Contains("enroll again", StringComparison.Ordinal)))
            failures.Add($"devices enrolled after the backup should get 401 'enroll again' at the replacement; they got {lateFleet.AnswersText}: {lateFleet.Problems.FirstOrDefault()}");
        await new DrillFleet().EnrollAsync(client, token, "LATE", late, cancellationToken);
    }

    /// <summary>
    /// The fleet served by the replacement with nothing refused, the restore said once, every acknowledged write there, and
    /// the hub equal to the site but for what the old box did after the backup (its changes, its late devices' records).
    /// </summary>
    private static async Task CheckReplacedAsync(SiteUnderDrill site, string newBox, DrillFleet lateFleet, Window afterBackup, List<string> failures)
    {
        if (site.Fleet.Answers.Keys.Any(a => !string.Equals(a, "200", StringComparison.Ordinal)))
            failures.Add("the fleet got other answers than 200 from the replacement: " + site.Fleet.AnswersText);
        var restoredLines = site.Appliance!.Log.Split('\n').Count(l => l.Contains("it was restored from a backup", StringComparison.Ordinal));
        if (restoredLines > 1)
            failures.Add(Invariant($"the replacement logged that it was restored {restoredLines} times, not once"));
        failures.AddRange(SyncLedger.CheckAcknowledgedWrites(newBox, site.Fleet.Devices));
        var allowance = LedgerAllowance.None with
        {
            ResentSnapshot = true,
            LostBySite = afterBackup,
            StaleDevices = lateFleet.Devices.Select(d => d.DeviceId).ToHashSet(StringComparer.Ordinal),
        };
        failures.AddRange(await SyncLedger.CompareHubWithSiteAsync(newBox, site.Hub.Store, site.Account.SiteId, allowance));
        failures.AddRange(SyncLedger.CheckIntegrity(SyncLedger.EdgeDatabase(newBox)));
    }

    /// <summary>Every device checks in until all got 200 (those still refused retry each second), for up to a minute.</summary>
    private static async Task WaitAllCheckInAsync(DrillFleet fleet, HttpClient client, List<string> failures, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        while (!await fleet.CheckInOnceAsync(client, cancellationToken))
        {
            if (started.Elapsed > TimeSpan.FromSeconds(60))
            {
                failures.Add("the fleet's devices did not all check in with their saved secrets within 60 s of the replacement starting: " + fleet.AnswersText);
                return;
            }

            await Task.Delay(1000, cancellationToken);
        }
    }

    private static async Task OperatorStretchAsync(DrillOperator console, TimeSpan stretch, Random random, List<string> failures, CancellationToken cancellationToken)
    {
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ends.CancelAfter(stretch);
        await console.WorkAsync(TimeSpan.FromMilliseconds(random.Next(200, 1000)), failures, ends.Token);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
