using SQLite;

namespace EdgeMdm.Drills.Faults;

/// <summary>
/// The appliance's wall clock (and its operator commands') jumps a day forward, then an hour back, while devices check
/// in and commands wait for devices out of coverage. Devices must go on checking in with the same secrets and the same
/// site certificate, never told to enroll again; the hub's token must still enroll; commands without a deadline, or
/// with one the jump does not pass, must not expire; no metric or listing may show a negative age or lag; and the hub
/// must converge on the site as before. Commands whose wall-clock deadline the jump does pass expire: that is their
/// contract (a deadline is a time of day), and the figures say how many.
/// </summary>
internal sealed class ClockJumpDrill : IDrill
{
    private static readonly TimeSpan[] Jumps = [TimeSpan.FromDays(1), TimeSpan.FromHours(23)];

    public string Name => "clock-jump";

    public string Title => "the appliance's wall clock jumps a day forward, then an hour back: no expiry storm, no negative duration, no re-enrollment";

    public async Task<DrillOutcome> RunAsync(DrillContext context, CancellationToken cancellationToken)
    {
        if (!FakeClock.Available)
            return new DrillOutcome([], ["libfaketime is not installed (tests/scripts/setup.sh installs Debian's faketime)"]);
        var (devices, away, phase) = context.Short ? (30, 2, TimeSpan.FromSeconds(6)) : (200, 30, TimeSpan.FromSeconds(60));
        var failures = new List<string>();
        var random = new Random(context.Seed);
        var clock = new FakeClock(context.WorkDirectory);
        await using var site = await SiteUnderDrill.StartAsync(context, withProxy: false, devices, cancellationToken, clock.Environment);
        using var client = site.Appliance!.CreateClient();
        var outOfCoverage = new DrillFleet();
        await outOfCoverage.EnrollAsync(client, site.Account.Token, "AWAY", away, cancellationToken);
        var queued = await QueueCommandsAsync(site.EdgeDir, outOfCoverage.Devices, clock, failures);
        using var shiftEnds = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var checkIns = site.Fleet.CheckInAsync(() => client, TimeSpan.FromSeconds(1), context.Seed, shiftEnds.Token);
        var rates = new List<PhaseRate> { await PhaseAsync(site, "before the jumps", phase, cancellationToken) };
        foreach (var jump in Jumps)
        {
            clock.Set(jump + TimeSpan.FromMilliseconds(random.Next(0, 1000)));
            rates.Add(await PhaseAsync(site, Invariant($"at +{jump.TotalHours:0} h"), phase, cancellationToken));
            // Outside the phase's window: these CLI runs take seconds (more on a loaded machine) while devices check in.
            failures.AddRange(await NegativeDurationsAsync(client, site.EdgeDir, clock, $"at +{jump.TotalHours:0} h"));
        }

        failures.AddRange(rates.Where(r => r.Changes > (ulong)(r.CheckIns + devices)).Select(r =>
            $"a storm of changes {r.Text}: more than the one status marker per acknowledged check-in (and one per device in flight at the window's edges)"));

        await shiftEnds.CancelAsync();
        await checkIns;
        await outOfCoverage.CheckInOnceAsync(client, cancellationToken);
        var late = new DrillFleet();
        await late.EnrollAsync(client, site.Account.Token, "AFTER", 2, cancellationToken);
        var converged = await SyncLedger.WaitConvergedAsync(site.EdgeDir, site.Hub, site.Account.SiteId, TimeSpan.FromSeconds(90), failures, cancellationToken);
        var outcome = CommandOutcomes(site.EdgeDir, queued);
        CheckDevices(site, outOfCoverage, outcome, failures);
        failures.AddRange(await SyncLedger.CompareHubWithSiteAsync(site.EdgeDir, site.Hub.Store, site.Account.SiteId));
        return new DrillOutcome(
            [
                Invariant($"{devices} devices checking in through the jumps: {site.Fleet.AnswersText}; {away} out of coverage then back: {outOfCoverage.AnswersText}"),
                "changes the site numbered per phase (a storm would show here): " + string.Join("; ", rates.Select(r => r.Text)),
                "commands queued before the jumps for devices out of coverage, by deadline, as they ended: " + outcome.Text,
                Invariant($"hub converged {(converged is { } c ? c.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "never")} after the work stopped"),
            ],
            failures);
    }

    /// <summary>
    /// How many changes the site numbered, and how many check-ins its devices had acknowledged, within one phase's window:
    /// both counted at its start and at its end, so nothing the drill does between phases (its CLI checks) falls into it.
    /// </summary>
    private static async Task<PhaseRate> PhaseAsync(SiteUnderDrill site, string label, TimeSpan phase, CancellationToken cancellationToken)
    {
        var (numbered, answered, started) = (SyncLedger.ProducedThrough(site.EdgeDir), site.Fleet.Count("200"), Stopwatch.GetTimestamp());
        await Task.Delay(phase, cancellationToken);
        return new PhaseRate(label, SyncLedger.ProducedThrough(site.EdgeDir) - numbered, site.Fleet.Count("200") - answered, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Three commands per device away: no deadline, one the jump passes (2 h), one it does not (48 h).</summary>
    private static async Task<Dictionary<string, string>> QueueCommandsAsync(string dataDir, IReadOnlyList<FleetDevice> devices, FakeClock clock, List<string> failures)
    {
        var queued = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var device in devices)
        {
            foreach (var expires in new[] { "none", "2h", "48h" })
            {
                string[] args = expires is "none"
                    ? ["commands", "send", "--device", device.DeviceId, "ring", "--data-dir", dataDir]
                    : ["commands", "send", "--device", device.DeviceId, "ring", "--expires", expires, "--data-dir", dataDir];
                var sent = await Built.RunAsync(Built.EdgeDll, args, TimeSpan.FromSeconds(60), clock.Environment);
                var id = sent.ExitCode == 0 && sent.Stdout.Trim() is { Length: > 0 } printed ? printed : null;
                if (id is null)
                    failures.Add("edgemdm-edge commands send: " + sent.Describe());
                else
                    queued[id] = expires;
            }
        }

        return queued;
    }

    private static CommandTally CommandOutcomes(string dataDir, Dictionary<string, string> queued)
    {
        using var db = new SQLiteConnection(SyncLedger.EdgeDatabase(dataDir));
        var tally = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (id, expires) in queued)
        {
            var status = db.ExecuteScalar<string>("SELECT status FROM commands WHERE id = ?", id) ?? "missing";
            var key = expires + ":" + status;
            tally[key] = tally.GetValueOrDefault(key) + 1;
        }

        return new CommandTally(tally);
    }

    private static void CheckDevices(SiteUnderDrill site, DrillFleet outOfCoverage, CommandTally commands, List<string> failures)
    {
        if (site.Fleet.Answers.Keys.Any(a => !string.Equals(a, "200", StringComparison.Ordinal)) || outOfCoverage.Answers.Keys.Any(a => !string.Equals(a, "200", StringComparison.Ordinal)))
            failures.Add($"devices got other answers than 200 across the jumps: {site.Fleet.AnswersText} / {outOfCoverage.AnswersText}: {site.Fleet.Problems.FirstOrDefault()}");
        using (var db = new SQLiteConnection(SyncLedger.EdgeDatabase(site.EdgeDir)))
        {
            var again = db.ExecuteScalar<long>("SELECT count(*) FROM devices WHERE enrollment_count > 1");
            if (again != 0)
                failures.Add(Invariant($"{again} devices enrolled again across the jumps"));
        }

        var expiredWithout = commands.Count("none:expired") + commands.Count("48h:expired");
        if (expiredWithout != 0)
            failures.Add(Invariant($"{expiredWithout} commands expired whose deadline the jumps never passed: {commands.Text}"));
        failures.AddRange(SyncLedger.CheckAcknowledgedWrites(site.EdgeDir, site.Fleet.Devices));
    }

    /// <summary>Negative numbers where only ages, lags and counts belong: <c>/metrics</c>, <c>sync status</c>, <c>devices list</c>.</summary>
    private static async Task<IEnumerable<string>> NegativeDurationsAsync(HttpClient client, string dataDir, FakeClock clock, string when)
    {
        var found = new List<string>();
        var metrics = await client.GetStringAsync("/metrics");
        found.AddRange(metrics.Split('\n')
            .Where(l => l.Length > 0 && l[0] != '#' && l.Split(' ') is [_, var value, ..] && value.StartsWith('-'))
            .Take(3)
            .Select(l => $"{when}: /metrics has a negative value: {l}"));
        foreach (var args in new[] { new[] { "sync", "status", "--json" }, ["devices", "list", "--json"] })
        {
            var result = await Built.RunAsync(Built.EdgeDll, [.. args, "--data-dir", dataDir], TimeSpan.FromSeconds(60), clock.Environment);
            if (result.ExitCode != 0)
                found.Add($"{when}: edgemdm-edge {string.Join(' ', args)}: {result.Describe()}");
            else if (result.Stdout.Contains("\":-", StringComparison.Ordinal))
                found.Add($"{when}: edgemdm-edge {string.Join(' ', args)} prints a negative number: {Around(result.Stdout, "\":-")}");
        }

        return found;
    }

    private static string Around(string text, string what)
    {
        var at = text.IndexOf(what, StringComparison.Ordinal);
        var from = Math.Max(0, at - 80);
        return text[from..Math.Min(text.Length, at + 40)];
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One phase's window: the changes the site numbered and the check-ins acknowledged in it.</summary>
    private sealed record PhaseRate(string Label, ulong Changes, int CheckIns, TimeSpan Took)
    {
        public string Text => Invariant(
            $"{Label}: {Changes} changes for {CheckIns} check-ins in {Took.TotalSeconds:0.0} s ({(CheckIns == 0 ? 0 : (double)Changes / CheckIns):0.00} a check-in)");
    }

    private sealed record CommandTally(Dictionary<string, int> ByDeadlineAndStatus)
    {
        public int Count(string key) => ByDeadlineAndStatus.GetValueOrDefault(key);

        public string Text => string.Join(' ', ByDeadlineAndStatus.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
    }
}
