using System.Globalization;

namespace EdgeMdm.Domain.Rollouts;

/// <summary>
/// Which devices a rollout chases without waiting for them. A device waiting for its wave is never one: right
/// after a blueprint is applied, the devices of the closed waves are simply not offered the version yet.
/// </summary>
public static class RolloutStragglers
{
    /// <summary>
    /// Not settled (pending or offline) and silent for longer than <see cref="RolloutPlan.StragglerAfter"/>: since its
    /// last check-in, or since the rollout started when it never checked in (never, when the start is not known either).
    /// Whether its wave is open is the caller's question.
    /// </summary>
    public static bool IsSilent(RolloutPlan plan, WaveMember member, RolloutClock clock)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(clock);
        if (member.Outcome.State is not (DeviceRolloutState.Pending or DeviceRolloutState.Offline))
            return false;
        return (member.LastCheckIn ?? clock.StartedAt) is { } since && clock.Now - since > plan.StragglerSilence();
    }

    /// <summary>
    /// A device of an open wave that does not run the version and that nobody waits for any more: it failed (its
    /// agent retries), its wave has advanced without it, or it is silent (<see cref="IsSilent"/>). Stragglers stay
    /// offered the version (<see cref="RolloutGate"/> offers every device of an open wave): they are chased, not forgotten.
    /// </summary>
    public static bool IsStraggler(RolloutPlan plan, RolloutProgress progress, WaveMember member, RolloutClock clock)
    {
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(member);
        if (!progress.IsWaveOpen(member.Wave) || member.Outcome.State is DeviceRolloutState.Installed or DeviceRolloutState.Incompatible)
            return false;
        if (member.Outcome.State == DeviceRolloutState.Failed || progress.Waves[member.Wave].AdvancedBy is not null)
            return true;
        return IsSilent(plan, member, clock);
    }
}

/// <summary>
/// What a held wave waits for, as data and as one line (<see cref="Text"/>): "waiting on 1 offline device, 14 min" or
/// "waiting for 3 of 20 devices to settle (threshold 95 %), time limit in 12 min".
/// </summary>
/// <param name="Wave">The held wave, from 0.</param>
/// <param name="Counted">Its devices less its stragglers: what the threshold is taken over.</param>
/// <param name="Needed">More devices that must settle for the threshold (at least 1 while held).</param>
/// <param name="Offline">Devices it waits for that are offline (silent, not yet stragglers).</param>
/// <param name="Pending">Devices it waits for that check in but have not settled (downloading, installing, waiting for the window).</param>
/// <param name="LongestSilence">The longest silence among the offline devices it waits for; null when none.</param>
/// <param name="TimeLimitIn">Until the time limit opens the next wave anyway; null when the rollout's start is not known.</param>
/// <param name="WindowClosed">The plan's maintenance window is closed now: nothing installs until it opens.</param>
public sealed record WaveWait(
    int Wave, int Devices, int Settled, int Counted, int Needed, decimal Threshold, int Offline, int Pending, int Stragglers,
    TimeSpan? LongestSilence, TimeSpan StragglerAfter, DateTimeOffset? TimeLimitAt, TimeSpan? TimeLimitIn, bool WindowClosed)
{
    /// <summary>The line a person reads.</summary>
    public string Text()
    {
        var text = Offline > 0 && Pending == 0 && Offline <= Needed
            ? $"waiting on {Count(Offline, "offline device")}, {DurationWords.Of(LongestSilence ?? TimeSpan.Zero)} (stragglers after {DurationWords.Of(StragglerAfter)})"
            : $"waiting for {Number(Needed)} of {Count(Counted, "device")} to settle (threshold {HaltReason.Percent(Threshold)})"
              + (Offline > 0 ? $", {Number(Offline)} offline up to {DurationWords.Of(LongestSilence ?? TimeSpan.Zero)}" : "");
        if (Stragglers > 0)
            text += $", {Count(Stragglers, "straggler")} not waited for";
        if (TimeLimitIn is { } left)
            text += $", time limit in {DurationWords.Of(left, roundUp: true)}";
        if (WindowClosed)
            text += "; the maintenance window is closed";
        return text;
    }

    internal static WaveWait Of(RolloutPlan plan, WaveProgress wave, IEnumerable<WaveMember> members, RolloutClock clock)
    {
        var waitedFor = members
            .Where(m => m.Outcome.State is DeviceRolloutState.Pending or DeviceRolloutState.Offline && !RolloutStragglers.IsSilent(plan, m, clock))
            .ToList();
        var offline = waitedFor.Where(m => m.Outcome.State == DeviceRolloutState.Offline).ToList();
        var longest = offline.Select(m => m.LastCheckIn ?? clock.StartedAt).OfType<DateTimeOffset>().Select(t => clock.Now - t).DefaultIfEmpty().Max();
        var needed = (int)Math.Ceiling(plan.WaveAdvanceShare * wave.Counted) - wave.Settled;
        return new WaveWait(
            wave.Wave, wave.Devices, wave.Settled, wave.Counted, Math.Max(needed, 1), plan.WaveAdvanceShare, offline.Count,
            waitedFor.Count - offline.Count, wave.Stragglers, offline.Count == 0 ? null : longest, plan.StragglerSilence(),
            wave.TimeLimitAt, wave.TimeLimitAt - clock.Now, plan.Window is { } window && !window.IsOpen(clock.Now));
    }

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Count(int n, string noun) => $"{Number(n)} {noun}{(n == 1 ? "" : "s")}";
}

/// <summary>Durations as a person reads them in a status line: <c>40 s</c>, <c>14 min</c>, <c>1 h 5 min</c>, <c>2 d 3 h</c>.</summary>
public static class DurationWords
{
    /// <param name="roundUp">Round up to the unit shown (a time left), rather than down (a time passed).</param>
    public static string Of(TimeSpan duration, bool roundUp = false)
    {
        if (duration < TimeSpan.Zero)
            duration = TimeSpan.Zero;
        if (duration < TimeSpan.FromMinutes(1))
            return N(Round(duration.TotalSeconds, roundUp)) + " s";
        var minutes = (long)Round(duration.TotalMinutes, roundUp);
        if (minutes < 60)
            return N(minutes) + " min";
        if (minutes < 24 * 60)
            return N(minutes / 60) + " h" + (minutes % 60 == 0 ? "" : " " + N(minutes % 60) + " min");
        var hours = minutes / 60;
        return N(hours / 24) + " d" + (hours % 24 == 0 ? "" : " " + N(hours % 24) + " h");
    }

    private static double Round(double value, bool up) => up ? Math.Ceiling(value) : Math.Floor(value);

    private static string N(double n) => n.ToString("0", CultureInfo.InvariantCulture);
}
