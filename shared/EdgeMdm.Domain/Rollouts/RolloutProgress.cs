using System.Globalization;

namespace EdgeMdm.Domain.Rollouts;

/// <summary>How far one wave has got, counted from its devices' outcomes.</summary>
public sealed record WaveProgress(int Wave, int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline)
{
    /// <summary>Devices whose install attempt ended, either way: the sample the failure rate is taken over.</summary>
    public int Finished => Installed + Failed;

    /// <summary>Devices with nothing left to wait for: finished, or incompatible and never to be offered.</summary>
    public int Settled => Finished + Incompatible;

    /// <summary>Failed among finished, 0 while nothing finished.</summary>
    public decimal FailureRate => Finished == 0 ? 0m : (decimal)Failed / Finished;
}

/// <summary>Why a rollout is halted: the first wave whose failures passed the threshold.</summary>
public sealed record HaltReason(int Wave, int Failed, int Finished, decimal Threshold)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"wave {Wave + 1}: {Failed} of {Finished} finished installs failed ({Percent((decimal)Failed / Finished)}), more than the {Percent(Threshold)} threshold");

    private static string Percent(decimal share) => (share * 100m).ToString("0.#", CultureInfo.InvariantCulture) + " %";
}

/// <summary>
/// Where a rollout stands, from its devices' outcomes alone: which waves are open and whether it is halted.
/// Recomputed from what devices report, so it has no memory: a wave whose failures recover through retries
/// (the devices report the version installed) lets the rollout go on by itself, while failures that stay
/// keep it halted until central IT changes the plan or the version. A manual pause belongs to the caller.
/// </summary>
/// <param name="OpenWaves">Waves 0 to OpenWaves − 1 are open; always at least 1.</param>
public sealed record RolloutProgress(IReadOnlyList<WaveProgress> Waves, int OpenWaves, HaltReason? Halt)
{
    public bool IsHalted => Halt is not null;

    public bool IsWaveOpen(int wave) => wave >= 0 && wave < OpenWaves;

    /// <summary>
    /// Counts each wave, opens the first wave always and each next one once the one before is open and has at
    /// least <see cref="RolloutPlan.WaveAdvanceShare"/> of its devices settled (an empty wave is settled), and
    /// halts on the lowest wave with at least <see cref="HaltPolicy.MinFinishedDevices"/> finished and a failure
    /// rate strictly above <see cref="HaltPolicy.FailureRateThreshold"/>. Whether a halt also stops waves from
    /// opening does not matter: <see cref="RolloutGate"/> offers nothing while halted. The plan must be valid
    /// (<see cref="RolloutPlan.Validate"/>).
    /// </summary>
    /// <param name="devices">Each device's wave (<see cref="WaveAssignment.WaveOf"/>) and outcome (<see cref="DeviceOutcomes.Judge"/>).</param>
    public static RolloutProgress Evaluate(RolloutPlan plan, IEnumerable<(int Wave, DeviceOutcome Outcome)> devices)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(devices);
        var counts = new int[plan.Waves.Count, 5];
        foreach (var (wave, outcome) in devices)
        {
            if (wave < 0 || wave >= plan.Waves.Count)
                throw new ArgumentException($"wave {wave.ToString(CultureInfo.InvariantCulture)} is not a wave of this plan", nameof(devices));
            counts[wave, (int)outcome.State]++;
        }

        var waves = new List<WaveProgress>(plan.Waves.Count);
        for (var i = 0; i < plan.Waves.Count; i++)
        {
            var installed = counts[i, (int)DeviceRolloutState.Installed];
            var pending = counts[i, (int)DeviceRolloutState.Pending];
            var failed = counts[i, (int)DeviceRolloutState.Failed];
            var incompatible = counts[i, (int)DeviceRolloutState.Incompatible];
            var offline = counts[i, (int)DeviceRolloutState.Offline];
            waves.Add(new WaveProgress(i, installed + pending + failed + incompatible + offline, installed, pending, failed, incompatible, offline));
        }

        var open = 1;
        while (open < waves.Count && IsDone(waves[open - 1], plan.WaveAdvanceShare))
            open++;

        var halt = waves
            .Where(w => w.Finished >= plan.Halt.MinFinishedDevices && w.Failed > plan.Halt.FailureRateThreshold * w.Finished)
            .Select(w => new HaltReason(w.Wave, w.Failed, w.Finished, plan.Halt.FailureRateThreshold))
            .FirstOrDefault();
        return new RolloutProgress(waves, open, halt);
    }

    // Compared as decimals (exact for shares like 0.9 × 10) so a boundary is never missed by a rounding.
    private static bool IsDone(WaveProgress wave, decimal share) => wave.Settled >= share * wave.Devices;
}
