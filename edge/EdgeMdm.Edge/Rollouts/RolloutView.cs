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
    DateTimeOffset EvaluatedAt)
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
            return new WaveView(i + 1, Describe(wave), progress.IsWaveOpen(i), p.Devices, p.Installed, p.Pending, p.Failed, p.Incompatible, p.Offline);
        }).ToList();
        return new RolloutView(
            rollout.RolloutId, rollout.PackageName, rollout.FromVersionCode, rollout.FromVersionName, rollout.ToVersionCode, rollout.ToVersionName,
            rollout.Groups, progress.OpenWaves, progress.IsHalted, progress.Halt?.ToString(),
            new RolloutCountsView(
                counts.Devices, counts.Installed, counts.Pending, counts.Failed, counts.Incompatible, counts.Offline,
                counts.FailedByReason.OrderBy(r => r.Key).ToDictionary(r => r.Key.ToWire(), r => r.Value, StringComparer.Ordinal)),
            waves, state.EvaluatedAt);
    }

    private static string Describe(RolloutWave wave) => wave switch
    {
        PilotWave pilot => "pilot " + pilot.Group,
        PercentageWave percentage => percentage.CumulativePercent.ToString(CultureInfo.InvariantCulture) + " %",
        _ => "?",
    };
}

/// <summary>Devices by state, failed ones by reason (wire names: storage_full, download_failed…).</summary>
public sealed record RolloutCountsView(int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline, IReadOnlyDictionary<string, int> FailedByReason);

/// <summary>One wave: number (from 1), what it takes, whether it is open, its devices by state.</summary>
public sealed record WaveView(int Wave, string Takes, bool Open, int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline);
