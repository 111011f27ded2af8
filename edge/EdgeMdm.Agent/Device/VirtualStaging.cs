using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.Agent;

/// <summary>
/// A device's run of its staging plan as callers see it (<see cref="VirtualDevice.StagingRun"/>): start a plan, each step's
/// report, when the next change is due, and the failures a simulation injects. The steps themselves are the device's
/// (<c>VirtualDevice.Staging.cs</c>): they wait on its installs and its drift.
/// </summary>
public sealed class VirtualStaging
{
    /// <summary>The command an operator queues with <c>edgemdm-edge staging retry</c>; parameter <c>step</c> is optional.</summary>
    public const string RetryCommand = EdgeMdm.Contracts.Device.DeviceCommandTypes.RetryStagingStep;

    /// <summary>Tries of one step before it stays failed (the first one included).</summary>
    public const int Attempts = 3;

    private readonly Action<StagingPlan> _start;
    private readonly Func<TimeSpan?> _nextChangeIn;
    private readonly Func<string?> _completedPlanHash;
    private readonly Func<IReadOnlyList<StagingStepReport>> _steps;

    internal VirtualStaging(Action<StagingPlan> start, Func<TimeSpan?> nextChangeIn, Func<string?> completedPlanHash, Func<IReadOnlyList<StagingStepReport>> steps)
    {
        _start = start;
        _nextChangeIn = nextChangeIn;
        _completedPlanHash = completedPlanHash;
        _steps = steps;
    }

    /// <summary>
    /// Step durations and retry delays are multiplied by this (1 = realistic: Wi-Fi 3–8 s, pairing 5–15 s...).
    /// Tests and demos shorten staging with, e.g., 0.01.
    /// </summary>
    public double TimeScale { get; set; } = 1.0;

    /// <summary>Injected failure: the Wi-Fi step fails on every try until an operator retries it, then succeeds.</summary>
    public bool WifiAssociationFails { get; set; }

    /// <summary>Injected failure: no peripheral to pair is found until an operator retries the step, then it is.</summary>
    public bool PeripheralMissing { get; set; }

    /// <summary>
    /// How long until a step of the plan changes state (or looks again at what it waits on): the agent checks in by
    /// then, so staging moves at the pace of its steps and not of the check-in interval. Null when nothing is due:
    /// no plan, every step done, or stuck at a failed step.
    /// </summary>
    public TimeSpan? NextChangeIn => _nextChangeIn();

    /// <summary>The content hash of the plan once every step succeeded; null before, and without a plan.</summary>
    public string? CompletedPlanHash => _completedPlanHash();

    /// <summary>Each step's state as it would be reported now, in plan order; empty without a plan.</summary>
    public IReadOnlyList<StagingStepReport> Steps => _steps();

    /// <summary>
    /// Starts performing <paramref name="plan"/> from its first step. <c>enroll</c> steps are done already (the
    /// device could not have fetched the plan otherwise). The plan, secrets included, lives in memory only.
    /// </summary>
    public void Start(StagingPlan plan) => _start(plan);
}
