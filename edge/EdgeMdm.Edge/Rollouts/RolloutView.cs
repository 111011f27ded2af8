using System.Globalization;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Edge.Rollouts;

/// <summary>What <c>edgemdm-edge rollouts</c> prints for one rollout (and its JSON for scripts).</summary>
public sealed record RolloutView(
    string RolloutId,
    string PackageName,
    long FromVersionCode,
    string FromVersionName,
    long ToVersionCode,
    string ToVersionName,
    IReadOnlyList<string> Groups,
    int OpenWaves,
    bool Halted,
    string? HaltReason,
    RolloutCountsView Counts,
    IReadOnlyList<WaveView> Waves,
    DateTimeOffset EvaluatedAt,
    bool Finished,
    string Status)
{
    public static RolloutView Of(RolloutState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var rollout = state.Rollout;
        var progress = state.Progress;
        var counts = state.Counts;
        var waves = rollout.Plan.Waves.Select((wave, i) =>
        {
            var p = progress.Waves.ElementAtOrDefault(i) ?? new WaveProgress(i, 0, 0, 0, 0, 0, 0);
            return new WaveView(
                i + 1, Describe(wave), progress.IsWaveOpen(i), p.Devices, p.Installed, p.Pending, p.Failed, p.Incompatible, p.Offline, p.Stragglers,
                p.AdvancedBy is { } by ? AdvanceName(by) : null);
        }).ToList();
        return new RolloutView(
            rollout.RolloutId, rollout.PackageName, rollout.FromVersionCode, rollout.FromVersionName, rollout.ToVersionCode, rollout.ToVersionName,
            rollout.Groups, progress.OpenWaves, progress.IsHalted, progress.Halt?.ToString(),
            new RolloutCountsView(
                counts.Devices, counts.Installed, counts.Pending, counts.Failed, counts.Incompatible, counts.Offline,
                counts.FailedByReason.OrderBy(r => r.Key).ToDictionary(r => r.Key.ToWire(), r => r.Value, StringComparer.Ordinal)),
            waves, state.EvaluatedAt, progress.IsFinished, StatusOf(progress));
    }

    /// <summary>"finished", "halted: …", or "wave 2 (50 %): waiting on 1 offline device, 14 min …".</summary>
    public static string StatusOf(RolloutProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        if (progress.Halt is { } halt)
            return "halted: " + halt;
        if (progress.IsFinished)
            return "finished";
        return progress.Waiting is { } wait ? $"wave {(wait.Wave + 1).ToString(CultureInfo.InvariantCulture)}: {wait.Text()}" : "waiting for the first evaluation";
    }

    /// <summary><c>threshold</c>, <c>time-limit</c> or <c>earlier</c>.</summary>
    public static string AdvanceName(WaveAdvance advance) => advance switch
    {
        WaveAdvance.Threshold => "threshold",
        WaveAdvance.TimeLimit => "time-limit",
        _ => "earlier",
    };

    private static string Describe(RolloutWave wave) => wave switch
    {
        PilotWave pilot => "pilot " + pilot.Group,
        PercentageWave percentage => percentage.CumulativePercent.ToString(CultureInfo.InvariantCulture) + " %",
        _ => "?",
    };
}

/// <summary>Devices by state, failed ones by reason (wire names: storage_full, download_failed…).</summary>
public sealed record RolloutCountsView(int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline, IReadOnlyDictionary<string, int> FailedByReason);

/// <summary>One wave: number (from 1), what it takes, whether it is open, its devices by state, its stragglers and why it advanced (null while it holds).</summary>
public sealed record WaveView(
    int Wave, string Takes, bool Open, int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline, int Stragglers, string? AdvancedBy);
