using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Cloud.Rollouts;

/// <summary>A wave's state in a site: closed (not offered yet), open, or done (settled enough for the next one to open).</summary>
public static class WaveStates
{
    public const string Closed = "closed";
    public const string Open = "open";
    public const string Done = "done";
}

/// <summary>
/// A group's current rollout of a package: what it installs, from what, under which plan, and how far it got per
/// site and across sites; stragglers (pending, offline, failed) oldest check-in first.
/// <c>Finished</c> when every site that reported is; <c>Status</c> one line: "finished", or each unfinished site's status.
/// </summary>
public sealed record RolloutView(
    string RolloutId, string Group, string PackageName, long FromVersionCode, string FromVersionName,
    long ToVersionCode, string ToVersionName, string? MinOsVersion, RolloutPlan Plan, DateTimeOffset StartedAt,
    IReadOnlyList<SiteRolloutView> Sites, RolloutCountsView Total, IReadOnlyList<StragglerView> Stragglers, bool Finished, string Status);

/// <summary>
/// One site's part: its counts, its waves, why it is halted (null when it is not), whether it finished, what its held
/// wave waits for (null when finished or halted) and its status line ("finished", "halted: …", "wave 1 (10%): waiting …").
/// </summary>
public sealed record SiteRolloutView(
    string SiteId, RolloutCountsView Counts, IReadOnlyList<WaveView> Waves, int OpenWaves, string? Halted, bool Finished, WaitView? Waiting, string Status);

/// <summary>
/// What a held wave waits for (<see cref="WaveWait"/>): <c>Wave</c> from 1; <c>Needed</c> more devices must settle out of
/// <c>Counted</c> (its devices less its stragglers) for <c>Threshold</c> (a share, 0.95); <c>Offline</c> and <c>Pending</c> the
/// devices it waits for; durations in seconds; <c>TimeLimitAt</c> null when the rollout's start is unknown; <c>Text</c> the line.
/// </summary>
public sealed record WaitView(
    int Wave, string Label, int Devices, int Settled, int Counted, int Needed, decimal Threshold, int Offline, int Pending, int Stragglers,
    long? LongestSilenceSeconds, long StragglerAfterSeconds, DateTimeOffset? TimeLimitAt, long? TimeLimitInSeconds, bool WindowClosed, string Text)
{
    public static WaitView Of(RolloutPlan plan, WaveWait wait)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(wait);
        return new WaitView(
            wait.Wave + 1, RolloutReporter.LabelOf(plan.Waves[wait.Wave]), wait.Devices, wait.Settled, wait.Counted, wait.Needed, wait.Threshold,
            wait.Offline, wait.Pending, wait.Stragglers, Seconds(wait.LongestSilence), Seconds(wait.StragglerAfter) ?? 0, wait.TimeLimitAt,
            Seconds(wait.TimeLimitIn), wait.WindowClosed, wait.Text());
    }

    private static long? Seconds(TimeSpan? duration) => duration is { } d ? (long)Math.Max(0, Math.Ceiling(d.TotalSeconds)) : null;
}

/// <summary>Devices by state; <c>FailedByReason</c> names every reason (storage_full, download_failed, …), zero or not.</summary>
public sealed record RolloutCountsView(
    int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline, IReadOnlyDictionary<string, int> FailedByReason)
{
    public static RolloutCountsView Of(RolloutCounts counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var byReason = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (reason, count) in counts.FailedByReason)
            byReason[reason.ToWire()] = count;
        return new(counts.Devices, counts.Installed, counts.Pending, counts.Failed, counts.Incompatible, counts.Offline, byReason);
    }
}

/// <summary>
/// A wave in one site: <c>Label</c> is the pilot group or the cumulative share (<c>10%</c>), <c>State</c> a <see cref="WaveStates"/>
/// value, <c>Stragglers</c> its devices chased but not waited for (open waves only), <c>AdvancedBy</c> threshold, time-limit or
/// earlier once done, <c>TimeLimitAt</c> when its time limit passes (null when the rollout's start is unknown).
/// </summary>
public sealed record WaveView(
    int Wave, string Label, string State, int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline,
    int Stragglers, string? AdvancedBy, DateTimeOffset? TimeLimitAt);

/// <summary>
/// A straggler: a device of an open wave chased without being waited for (failed, silent longer than the plan's
/// stragglerAfter, or left behind by its wave); <c>State</c> pending, offline or failed, <c>Reason</c> the failure's wire name.
/// </summary>
public sealed record StragglerView(string SiteId, string DeviceId, string Serial, string State, string? Reason, DateTimeOffset? LastCheckIn);
