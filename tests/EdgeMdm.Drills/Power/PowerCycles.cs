using SQLite;

namespace EdgeMdm.Drills.Power;

/// <summary>
/// The power drills' shared run: a hub with a site, the appliance syncing with it, a check-in storm and an operator
/// making staging batches; then <c>cycles</c> cuts at random moments 50–800 ms after the appliance serves again, each
/// followed by the checks of <see cref="SiteChecks"/> and a timed restart; at the end, with the uplink up, the
/// appliance left running until the hub applied everything, and <see cref="SyncLedger.CompareHubWithSiteAsync"/>.
/// </summary>
internal sealed class PowerCycles(DrillContext context, int cycles, int devices, IPowerFault fault)
{
    /// <summary>The longest a restart may take to serve again: /readyz 200 and a device's check-in answered.</summary>
    public static readonly TimeSpan ServingPromise = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan ConvergenceLimit = TimeSpan.FromSeconds(180);

    private readonly List<string> _failures = [];
    private readonly List<double> _servingSeconds = [];
    private readonly List<string> _endFigures = [];
    private readonly Random _random = new(context.Seed);
    private long _valuesChecked;

    // Cuts go on after a slow restart (a figure past its promise), not after a lost write: what follows would only repeat it.
    private bool _lostData;

    public async Task<DrillOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var dataDirectory = Path.Combine(context.WorkDirectory, "edge");
        var environment = new Dictionary<string, string>(fault.Environment, StringComparer.Ordinal)
        {
            // Every check-in that reports the battery keeps a sample: the per-device history the drill checks.
            ["EDGEMDM_Edge__Batteries__MinSampleIntervalSeconds"] = "0",
            ["EDGEMDM_Edge__Mdns__Enabled"] = "false",
        };
        var started = Stopwatch.GetTimestamp();
        var store = new SqliteHubDatabase(Path.Combine(context.WorkDirectory, "hub"));
        await using var hub = await DrillHub.StartAsync(store, cancellationToken);
        var account = await hub.AddSiteWithFleetTokenAsync("DC Power Drill");
        await using var appliance = new DrillAppliance(dataDirectory, hub.GrpcUrl, account.Credential, environment, checkinIntervalSeconds: 30);
        await appliance.StartServingAsync(probe: null, cancellationToken);
        await using var storm = await CheckinStorm.EnrollAsync(appliance.Url, appliance.Pin, account.Token, devices, TimeSpan.FromSeconds(90), cancellationToken);
        await using var staging = new StagingOperator(Built.EdgeDll, dataDirectory, environment);
        context.Log.WriteLine(Invariant($"   seed {context.Seed} (again: --seed {context.Seed}); {devices} devices, {cycles} cuts"));
        storm.Start();
        for (var cycle = 1; cycle <= cycles && !_lostData; cycle++)
        {
            staging.StartNext();
            // Every other cut on average comes just after a batch was made (its command exited 0), not while it is made.
            if (_random.Next(2) == 0 && await staging.SettleAsync(kill: false) is { } refused)
                _failures.Add(refused);
            await Task.Delay(_random.Next(50, 801), cancellationToken);
            await CutAsync(appliance, staging, dataDirectory, storm, () => hub.AppliedThroughAsync(account.SiteId, cancellationToken));
            var serving = await appliance.StartServingAsync(storm.ProbeAsync, cancellationToken);
            _servingSeconds.Add(serving.TotalSeconds);
            if (serving > ServingPromise)
                _failures.Add(Invariant($"cut {cycle}: serving again after {serving.TotalSeconds:0.0} s, over {ServingPromise.TotalSeconds:0} s"));
        }

        if (await staging.SettleAsync(kill: false) is { } failed)
            _failures.Add(failed);
        await storm.StopAsync();
        await ConvergeAsync(dataDirectory, hub, account.SiteId, cancellationToken);
        return Outcome(storm, staging, appliance.HealthySeconds, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The cut, and every check on what it left, before the appliance starts again.</summary>
    private async Task CutAsync(DrillAppliance appliance, StagingOperator staging, string dataDirectory, CheckinStorm storm, Func<Task<ulong>> hubAppliedThrough)
    {
        await appliance.KillAsync();
        if (await staging.SettleAsync(fault.KillsOperatorCommands) is { } failed)
            _failures.Add(failed);
        fault.AfterCut();
        var copy = SiteChecks.CopyDatabase(dataDirectory, Path.Combine(context.WorkDirectory, "check"));
        var applied = await hubAppliedThrough();
        var before = _failures.Count;
        using (var db = new SQLiteConnection(copy))
        {
            _failures.AddRange(SyncLedger.CheckIntegrity(db, "edge.db"));
            _failures.AddRange(SiteChecks.Checkins(db, storm));
            _failures.AddRange(SiteChecks.Batches(db, dataDirectory, staging.Promised));
            var produced = SyncLedger.ProducedThrough(db);
            if (produced < applied)
                _failures.Add(Invariant($"the site's outbox numbers through {produced}, below the {applied} the hub already applied: acknowledged changes were lost"));
        }

        _lostData = _failures.Count > before;
        for (var i = 0; i < storm.Count; i++)
            _valuesChecked += storm.Acknowledged(i);
    }

    /// <summary>With the storm stopped and the uplink up: waits until the hub applied every change, then compares.</summary>
    private async Task ConvergeAsync(string dataDirectory, DrillHub hub, string siteId, CancellationToken cancellationToken)
    {
        if (await SyncLedger.WaitConvergedAsync(dataDirectory, hub, siteId, ConvergenceLimit, _failures, cancellationToken) is null)
            return;
        _failures.AddRange(await SyncLedger.CompareHubWithSiteAsync(dataDirectory, hub.Store, siteId));
        _endFigures.Add(Invariant($"converged: the hub applied all {SyncLedger.ProducedThrough(dataDirectory)} outbox changes of the site"));
    }

    private DrillOutcome Outcome(CheckinStorm storm, StagingOperator staging, IReadOnlyList<double> healthy, TimeSpan took)
    {
        var serving = _servingSeconds.Order().ToList();
        var host = healthy.Skip(1).Order().ToList();
        var figures = new List<string>
        {
            Invariant($"seed {context.Seed}; {_servingSeconds.Count} cuts of {cycles} done, {devices} devices, {took.TotalSeconds:0} s"),
            Invariant($"check-ins acknowledged {storm.Answered}, refused or cut {storm.RefusedOrCut}; acknowledged values checked after the cuts: {_valuesChecked}"),
            storm.FirstRefusal is { } refusal ? "first check-in refused with: " + refusal : "no check-in was refused (only cut)",
            Invariant($"staging batches promised (exit 0) {staging.Promised.Count}, cut before their end {staging.Cut}"),
        };
        if (serving.Count > 0)
            figures.Add(Invariant($"serving again after a restart (/readyz 200 and a check-in answered): median {serving[serving.Count / 2]:0.00} s, max {serving[^1]:0.00} s (promise: {ServingPromise.TotalSeconds:0} s); of which the process's start to its first /healthz 200: median {host[host.Count / 2]:0.00} s"));
        if (fault.Summary() is { } summary)
            figures.Add(summary);
        figures.AddRange(_endFigures);
        return new DrillOutcome(figures, _failures);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
