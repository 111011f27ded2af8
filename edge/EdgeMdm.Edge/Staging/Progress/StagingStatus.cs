using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Edge.Devices;

namespace EdgeMdm.Edge.Staging.Progress;

/// <summary>One device's staging as an operator reads it: done, in progress (at which step), or stuck at a failed step and why.</summary>
public sealed record DeviceStagingStatus(
    string DeviceId, string Serial, string Group, string DeviceState, string? Plan, string Outcome, string? CurrentStep, string? Reason,
    int StepsDone, int StepsTotal, DateTimeOffset? StartedAt, TimeSpan? Elapsed, IReadOnlyList<StepStatus> Steps);

public sealed record StepStatus(string StepId, string Kind, string State, int Attempts, string? Error, TimeSpan? Duration);

/// <summary>The devices and how many are done, in progress and stuck, and how long since the first step started.</summary>
public sealed record StagingStatusReport(int Done, int InProgress, int Stuck, TimeSpan? Elapsed, IReadOnlyList<DeviceStagingStatus> Devices)
{
    /// <summary>The batch the report is about (<c>staging status BATCH</c>), or null; then <see cref="Elapsed"/> counts from its creation.</summary>
    public Batches.StagingBatch? Batch { get; init; }
}

public static class StagingStatus
{
    public const string Done = "done";
    public const string InProgress = "in progress";
    public const string Stuck = "stuck";

    /// <summary>
    /// Judges each device from its stored step rows: stuck when a step failed (the device has stopped retrying it),
    /// done when it is Active or every step it reported succeeded with none left, else in progress at its first step not
    /// yet succeeded. <paramref name="planSteps"/>: the number of steps of each plan, by name.
    /// </summary>
    public static StagingStatusReport Of(IEnumerable<DeviceRecord> devices, IReadOnlyList<StagingStepRow> rows, IReadOnlyDictionary<string, int> planSteps, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(planSteps);
        var byDevice = rows.GroupBy(r => r.DeviceId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.OrderBy(r => r.StepIndex).ToList(), StringComparer.Ordinal);
        var statuses = new List<DeviceStagingStatus>();
        foreach (var device in devices)
        {
            var steps = byDevice.GetValueOrDefault(device.Id) ?? [];
            var plan = steps.FirstOrDefault()?.PlanName;
            var total = plan is not null && planSteps.TryGetValue(plan, out var count) ? count : steps.Count;
            var succeeded = steps.Count(s => string.Equals(s.State, StagingStepStates.Succeeded, StringComparison.Ordinal));
            var failed = steps.FirstOrDefault(s => string.Equals(s.State, StagingStepStates.Failed, StringComparison.Ordinal));
            var current = steps.FirstOrDefault(s => !string.Equals(s.State, StagingStepStates.Succeeded, StringComparison.Ordinal));
            var outcome = failed is not null ? Stuck
                : device.State == DeviceState.Active || (total > 0 && succeeded >= total) ? Done
                : InProgress;
            var started = steps.Select(s => s.StartedAt).Where(t => t is not null).Min();
            var finished = Is(outcome, Done) ? steps.Select(s => s.FinishedAt).Where(t => t is not null).Max() : null;
            var elapsed = started is { } from ? (finished ?? now) - from : (TimeSpan?)null;
            statuses.Add(new DeviceStagingStatus(
                device.Id, device.Serial, device.Group, device.State.ToString(), plan, outcome,
                Is(outcome, Done) ? null : (failed ?? current)?.StepId, failed?.Error,
                succeeded, total, started, elapsed,
                steps.Select(s => new StepStatus(s.StepId, s.Kind, s.State, s.Attempts, s.Error,
                    s.StartedAt is { } a && s.FinishedAt is { } b ? b - a : null)).ToList()));
        }

        var first = statuses.Select(s => s.StartedAt).Where(t => t is not null).Min();
        var last = statuses.All(s => Is(s.Outcome, Done)) ? rows.Select(r => r.FinishedAt).Where(t => t is not null).Max() : null;
        return new StagingStatusReport(
            statuses.Count(s => Is(s.Outcome, Done)), statuses.Count(s => Is(s.Outcome, InProgress)), statuses.Count(s => Is(s.Outcome, Stuck)),
            first is { } since ? (last ?? now) - since : null, statuses);
    }

    private static bool Is(string outcome, string expected) => string.Equals(outcome, expected, StringComparison.Ordinal);
}
