using System.Globalization;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.Agent;

// Staging: the plan's steps, one after another with realistic durations, each retried a few times by the device
// before it stays failed with its reason until an operator asks for a retry (staging.retryStep).
public sealed partial class VirtualDevice
{
    private static readonly TimeSpan StagingFirstRetryDelay = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan StagingReportMargin = TimeSpan.FromMilliseconds(50);

    // How often a step that waits on something else (installs, zero drift) looks again, and so how soon the agent checks
    // in: often at first, when an install is about to land, then less (an install in a 15-minute backoff should not
    // bring a check-in every 5 s).
    private static readonly TimeSpan StagingPoll = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StagingSlowPoll = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StagingPollSlowsAfter = TimeSpan.FromMinutes(1);

    private StagingPlan? _plan;
    private string? _planHash;
    private List<StepRun> _stepRuns = [];
    private Random _stagingRandom = new(0);
    private StagingProgress? _lastStagingReport;

    /// <summary>The staging plan's run: what <see cref="VirtualStaging"/> starts and reads.</summary>
    public VirtualStaging StagingRun { get; }

    private void StartStaging(StagingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var now = Advance();
        _plan = plan;
        _planHash = plan.ContentHash();
        _stagingRandom = new Random(Seeds.Mix(Seeds.Of(Serial), Seeds.Of(_planHash)));
        _stepRuns = plan.Steps.Select(step => new StepRun(step)).ToList();
        _lastStagingReport = null;
        ProcessStaging(now, now);
    }

    private TimeSpan? NextStagingChangeIn
    {
        get
        {
            var now = Advance();
            var current = CurrentStepRun();
            if (current is null || current.State == StepState.Failed)
                return null;
            // A little past the change: a timer may fire a hair early against the wall clock, and a check-in made just
            // before the step ends would report it unchanged and then wait out the whole interval.
            var due = current.DueAt - now;
            return (due > TimeSpan.Zero ? due : TimeSpan.Zero) + StagingReportMargin;
        }
    }

    private string? CompletedStagingPlanHash
    {
        get
        {
            Advance();
            return _plan is not null && CurrentStepRun() is null ? _planHash : null;
        }
    }

    private IReadOnlyList<StagingStepReport> StagingSteps
    {
        get
        {
            Advance();
            return _stepRuns.Select(r => r.Report()).ToArray();
        }
    }

    private StepRun? CurrentStepRun() => _stepRuns.Find(r => r.State != StepState.Succeeded);

    /// <summary>Carries the plan forward to <paramref name="now"/>: steps run back to back from <paramref name="cursor"/>.</summary>
    private void ProcessStaging(DateTimeOffset now, DateTimeOffset cursor)
    {
        while (CurrentStepRun() is { } run && run.State != StepState.Failed)
        {
            if (run.State == StepState.Pending)
                BeginAttempt(run, cursor > now ? now : cursor);
            if (run.DueAt > now)
                return;

            var at = run.DueAt;
            var outcome = Perform(run.Step);
            if (outcome.Waiting)
            {
                // Nothing to decide yet (installs under way, drift not zero): look again a little later.
                run.WaitingSince ??= at;
                run.DueAt = now + Scaled(now - run.WaitingSince.Value < Scaled(StagingPollSlowsAfter) ? StagingPoll : StagingSlowPoll);
                return;
            }

            if (outcome.Error is null)
            {
                run.State = StepState.Succeeded;
                run.FinishedAt = at;
                run.Error = null;
                cursor = at;
                continue;
            }

            run.Error = outcome.Error;
            if (run.AttemptsSinceReset >= VirtualStaging.Attempts)
            {
                run.State = StepState.Failed;
                run.FinishedAt = at;
                return;
            }

            // The device tries again by itself after a pause: 5 s, then 10 s (realistic scale).
            run.Attempts++;
            run.AttemptsSinceReset++;
            run.DueAt = at + Scaled(StagingFirstRetryDelay * Math.Pow(2, run.AttemptsSinceReset - 2)) + Duration(run.Step);
        }
    }

    /// <summary>The process of the staging plan, called from <see cref="Advance"/> after the declared work.</summary>
    private void ProcessStaging(DateTimeOffset now)
    {
        if (_plan is not null)
            ProcessStaging(now, now);
    }

    private void BeginAttempt(StepRun run, DateTimeOffset at)
    {
        run.State = StepState.Running;
        run.Attempts++;
        run.AttemptsSinceReset++;
        run.StartedAt = at;
        run.FinishedAt = null;
        run.Error = null;
        run.WaitingSince = null;
        run.DueAt = at + Duration(run.Step);
    }

    /// <summary>How long one try of a step takes on a real scanner (the random stream is the plan's own).</summary>
    private TimeSpan Duration(StagingStep step) => step switch
    {
        EnrollStep => TimeSpan.Zero,
        WifiStep => Scaled(TimeSpan.FromSeconds(3 + (_stagingRandom.NextDouble() * 5))),
        ManagedConfigStep => Scaled(TimeSpan.FromSeconds(1 + (_stagingRandom.NextDouble() * 2))),
        SettingsStep => Scaled(TimeSpan.FromSeconds(0.8 + (_stagingRandom.NextDouble() * 0.4))),
        PairPeripheralStep => Scaled(TimeSpan.FromSeconds(5 + (_stagingRandom.NextDouble() * 10))),
        _ => Scaled(TimeSpan.FromSeconds(1)),
    };

    private TimeSpan Scaled(TimeSpan duration) => duration * StagingRun.TimeScale;

    /// <summary>One try of a step: done, failed with a reason, or waiting on something else.</summary>
    private (bool Waiting, string? Error) Perform(StagingStep step) => step switch
    {
        WifiStep wifi when StagingRun.WifiAssociationFails =>
            (false, $"wifi: association with SSID {wifi.Ssid} timed out ({wifi.Security.ToUpperInvariant()})"),
        PairPeripheralStep pair when StagingRun.PeripheralMissing =>
            (false, $"no {pair.Peripheral} matching {pair.AddressPattern} found"),
        InstallAppsStep install => InstallAppsState(install),
        VerifyStep => DriftFree() ? (false, null) : (true, null),
        _ => (false, null),
    };

    /// <summary>
    /// The apps are installed by the device's declared work and the agent's package installs (by size, with their
    /// failures): the step is done when every named app runs at its declared version, failed when one of them cannot
    /// be installed for a lasting reason (storage full, incompatible), and waits otherwise.
    /// </summary>
    private (bool Waiting, string? Error) InstallAppsState(InstallAppsStep step)
    {
        if (_declarations is null)
            return (true, null);
        var names = step.PackageNames is { Count: > 0 } named ? named : _declarations.Apps.Select(a => a.PackageName).ToList();
        var waiting = false;
        foreach (var name in names)
        {
            var declared = _declarations.Apps.FirstOrDefault(a => string.Equals(a.PackageName, name, StringComparison.Ordinal));
            if (declared is null)
            {
                if (!_apps.ContainsKey(name))
                    return (false, $"installApps: {name} is not declared for this device's group, so there is nothing to install it from");
                continue;
            }

            if (_apps.TryGetValue(name, out var installed) && installed.VersionCode == declared.VersionCode)
                continue;
            if (_installFailures.TryGetValue(name, out var failure) && failure.VersionCode == declared.VersionCode
                && failure.Reason is "storage_full" or "incompatible")
                return (false, $"installApps: {name} {declared.VersionName}: {failure.Message}");
            waiting = true;
        }

        return (waiting, null);
    }

    /// <summary>Zero drift as the device can tell: declarations held, every declared app and configuration in place.</summary>
    private bool DriftFree() =>
        _declarations is not null
        && _work.Count == 0
        && !PendingPackages().Any()
        && _declarations.Configurations.All(c => _configurations.TryGetValue(c.Id, out var hash) && string.Equals(hash, c.Hash, StringComparison.Ordinal));

    /// <summary>
    /// <c>staging.retryStep</c>: resets the named step (parameter <c>step</c>), or every failed one, and runs the plan
    /// on from there. An injected failure of that step is repaired by the operator's retry.
    /// </summary>
    private (bool, string) RetryStagingStep(DeviceCommand command)
    {
        if (_plan is null)
            return (false, "no staging plan on this device: nothing to retry");
        var stepId = command.Parameters is not null && command.Parameters.TryGetValue("step", out var named) && !string.IsNullOrWhiteSpace(named) ? named : null;
        List<StepRun> reset;
        if (stepId is not null)
        {
            var run = _stepRuns.Find(r => string.Equals(r.Step.Id, stepId, StringComparison.Ordinal));
            if (run is null)
                return (false, $"step '{stepId}' is not in staging plan '{_plan.Name}' (its steps: {string.Join(", ", _stepRuns.Select(r => r.Step.Id))})");
            if (run.State == StepState.Running)
                return (false, $"step '{stepId}' is running (attempt {run.Attempts.ToString(CultureInfo.InvariantCulture)}); retry it once it has failed");
            if (run.State == StepState.Pending)
                return (false, $"step '{stepId}' has not run yet");
            reset = [run];
        }
        else
        {
            reset = _stepRuns.FindAll(r => r.State == StepState.Failed);
            if (reset.Count == 0)
                return (false, "no failed staging step to retry");
        }

        foreach (var run in reset)
        {
            run.State = StepState.Pending;
            run.AttemptsSinceReset = 0;
            run.Error = null;
            run.FinishedAt = null;
            if (run.Step is WifiStep)
                StagingRun.WifiAssociationFails = false;
            if (run.Step is PairPeripheralStep)
                StagingRun.PeripheralMissing = false;
        }

        // A step rerun invalidates what came after it: those steps run again too.
        var first = _stepRuns.IndexOf(reset[0]);
        foreach (var later in _stepRuns.Skip(first + 1).Where(r => r.State == StepState.Succeeded))
        {
            later.State = StepState.Pending;
            later.AttemptsSinceReset = 0;
        }

        var now = _time.GetUtcNow();
        ProcessStaging(now, now);
        return (true, "staging step " + string.Join(", ", reset.Select(r => r.Step.Id)) + " running again");
    }

    /// <summary>Progress with the plan: each step's state; the same instance while nothing changed (a delta then omits it).</summary>
    private StagingProgress? PlanStagingSnapshot()
    {
        if (_plan is null)
            return null;
        var steps = _stepRuns.Select(r => r.Report()).ToArray();
        var current = CurrentStepRun();
        var report = new StagingProgress
        {
            Plan = _plan.Name,
            PlanHash = _planHash,
            Steps = steps,
            CompletedSteps = _stepRuns.Count(r => r.State == StepState.Succeeded),
            TotalSteps = _stepRuns.Count,
            CurrentStep = current is null ? null
                : current.State == StepState.Failed ? $"{current.Step.Id} (failed: {current.Error})"
                : current.Step.Id,
        };
        if (_lastStagingReport is { } last && last with { Steps = null } == report with { Steps = null } && last.Steps!.SequenceEqual(steps))
            return last;
        _lastStagingReport = report;
        return report;
    }

    private enum StepState
    {
        Pending,
        Running,
        Succeeded,
        Failed,
    }

    private sealed class StepRun(StagingStep step)
    {
        public StagingStep Step { get; } = step;
        public StepState State { get; set; } = StepState.Pending;

        /// <summary>Every try since the plan started, operator retries included: what is reported.</summary>
        public int Attempts { get; set; }

        /// <summary>Tries since the plan started or an operator's retry: what the device's own retry budget counts.</summary>
        public int AttemptsSinceReset { get; set; }

        public DateTimeOffset? StartedAt { get; set; }
        public DateTimeOffset? FinishedAt { get; set; }
        public string? Error { get; set; }
        public DateTimeOffset DueAt { get; set; }

        /// <summary>When the current try started waiting on something else; null while it is not waiting.</summary>
        public DateTimeOffset? WaitingSince { get; set; }

        public StagingStepReport Report() => new()
        {
            StepId = Step.Id,
            State = State switch
            {
                StepState.Running => StagingStepStates.Running,
                StepState.Succeeded => StagingStepStates.Succeeded,
                StepState.Failed => StagingStepStates.Failed,
                _ => StagingStepStates.Pending,
            },
            Attempts = Attempts,
            StartedAt = StartedAt,
            FinishedAt = FinishedAt,
            Error = State == StepState.Failed ? Error : null,
        };
    }
}
