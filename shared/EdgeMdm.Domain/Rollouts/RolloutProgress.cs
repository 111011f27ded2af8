using System.Globalization;

namespace EdgeMdm.Domain.Rollouts;

/// <summary>Why a wave let the next one open (or, for the last wave, let the rollout finish).</summary>
public enum WaveAdvance
{
    /// <summary>Its settled share reached <see cref="RolloutPlan.WaveAdvanceShare"/>, stragglers left out.</summary>
    Threshold,

    /// <summary>Its time limit passed (<see cref="RolloutPlan.WaveTimeLimit"/>), settled or not.</summary>
    TimeLimit,

    /// <summary>The caller saw it advance before (<c>minimumOpenWaves</c>): an open wave is not closed again when a straggler comes back.</summary>
    Earlier,
}

/// <summary>How far one wave has got, counted from its devices' outcomes.</summary>
/// <param name="Stragglers">
/// Devices of the wave that are neither settled nor waited for: silent longer than <see cref="RolloutPlan.StragglerAfter"/>
/// (counted only while the wave is open: a device waiting for its wave is not a straggler).
/// </param>
public sealed record WaveProgress(int Wave, int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline, int Stragglers = 0)
{
    /// <summary>Devices whose install attempt ended, either way: the sample the failure rate is taken over.</summary>
    public int Finished => Installed + Failed;

    /// <summary>Devices with nothing left to wait for: finished, or incompatible and never to be offered.</summary>
    public int Settled => Finished + Incompatible;

    /// <summary>Devices the threshold is taken over: all but the stragglers.</summary>
    public int Counted => Devices - Stragglers;

    /// <summary>Failed among finished, 0 while nothing finished.</summary>
    public decimal FailureRate => Finished == 0 ? 0m : (decimal)Failed / Finished;

    /// <summary>Why the wave let the next one open; null while it holds it (or is not open).</summary>
    public WaveAdvance? AdvancedBy { get; init; }

    /// <summary>When its time limit passes (rollout start + (wave + 1) × time limit); null when the rollout's start is not known.</summary>
    public DateTimeOffset? TimeLimitAt { get; init; }
}

/// <summary>Why a rollout is halted: the first wave whose failures passed the threshold.</summary>
public sealed record HaltReason(int Wave, int Failed, int Finished, decimal Threshold)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"wave {Wave + 1}: {Failed} of {Finished} finished installs failed ({Percent((decimal)Failed / Finished)}), more than the {Percent(Threshold)} threshold");

    internal static string Percent(decimal share) => (share * 100m).ToString("0.#", CultureInfo.InvariantCulture) + " %";
}

/// <summary>A device as wave progress reads it: its wave, its outcome and its last check-in (null = never).</summary>
public sealed record WaveMember(int Wave, DeviceOutcome Outcome, DateTimeOffset? LastCheckIn);

/// <summary>
/// The instants the time rules read: when the rollout started (null = not known, e.g. a rollout the hub started before
/// time limits: no time limit applies, and a device that never checked in is not a straggler) and now.
/// </summary>
public sealed record RolloutClock(DateTimeOffset? StartedAt, DateTimeOffset Now);

/// <summary>
/// Where a rollout stands, from its devices' outcomes and the clock alone: which waves are open, why each advanced,
/// what the held wave waits for, whether it is halted or finished. Recomputed from what devices report, so it
/// has no memory of its own: a wave whose failures recover through retries (the devices report the version
/// installed) lets the rollout go on by itself, while failures that stay keep it halted until central IT changes
/// the plan or the version. A manual pause belongs to the caller; so does remembering how many waves were open
/// (<c>minimumOpenWaves</c>).
/// </summary>
/// <param name="OpenWaves">Waves 0 to OpenWaves − 1 are open; always at least 1.</param>
public sealed record RolloutProgress(IReadOnlyList<WaveProgress> Waves, int OpenWaves, HaltReason? Halt)
{
    public bool IsHalted => Halt is not null;

    public bool IsWaveOpen(int wave) => wave >= 0 && wave < OpenWaves;

    /// <summary>Every wave open and the last one advanced (threshold or time limit), not halted: stragglers may still be chased.</summary>
    public bool IsFinished { get; init; }

    /// <summary>
    /// The open waves a caller should keep open next time (<c>minimumOpenWaves</c>): those opened by a wave that advanced with
    /// devices in it. A wave opened only because the one before was empty is not remembered: right after a blueprint is
    /// applied, before any device is counted, every wave is empty, and remembering that would open the whole rollout.
    /// </summary>
    public int WavesToRemember { get; init; } = 1;

    /// <summary>What the held wave (the last open one, not advanced) waits for; null when finished, halted or not evaluated.</summary>
    public WaveWait? Waiting { get; init; }

    /// <summary>
    /// <see cref="Evaluate(RolloutPlan, IEnumerable{WaveMember}, RolloutClock, int)"/> without check-in times or a clock:
    /// no stragglers, no time limit (for callers that count outcomes only).
    /// </summary>
    public static RolloutProgress Evaluate(RolloutPlan plan, IEnumerable<(int Wave, DeviceOutcome Outcome)> devices)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var now = DateTimeOffset.UnixEpoch;
        return Evaluate(plan, devices.Select(d => new WaveMember(d.Wave, d.Outcome, LastCheckIn: now)), new RolloutClock(null, now)) with { Waiting = null };
    }

    /// <summary>
    /// Counts each wave, opens the first wave always and each next one once the one before is open and has advanced:
    /// at least <see cref="RolloutPlan.WaveAdvanceShare"/> of its devices that are not stragglers settled (a wave
    /// with none is settled), or its time limit passed. Halts on the lowest wave with at least
    /// <see cref="HaltPolicy.MinFinishedDevices"/> finished and a failure rate strictly above
    /// <see cref="HaltPolicy.FailureRateThreshold"/>. Whether a halt also stops waves from opening does not matter:
    /// <see cref="RolloutGate"/> offers nothing while halted. The plan must be valid (<see cref="RolloutPlan.Validate"/>).
    /// </summary>
    /// <param name="minimumOpenWaves">Waves the caller already saw open (a site keeps it in memory), so a wave opened by its
    /// threshold does not close again when a straggler comes back and counts once more.</param>
    public static RolloutProgress Evaluate(RolloutPlan plan, IEnumerable<WaveMember> devices, RolloutClock clock, int minimumOpenWaves = 1)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(clock);
        var members = devices.ToList();
        var counts = Count(plan, members);
        var waves = new List<WaveProgress>(plan.Waves.Count);
        for (var i = 0; i < plan.Waves.Count; i++)
            waves.Add(Counted(counts, i));

        // Stragglers count only in open waves, so the waves are opened one by one, each counted once it is open.
        var open = 1;
        for (var i = 0; i < waves.Count; i++)
        {
            var stragglers = members.Count(m => m.Wave == i && RolloutStragglers.IsSilent(plan, m, clock));
            var deadline = clock.StartedAt + (plan.TimeLimitPerWave() * (i + 1));
            var wave = waves[i] with { Stragglers = stragglers, TimeLimitAt = deadline };
            var advance = AdvanceOf(plan, wave, deadline, clock.Now) ?? (i + 1 < minimumOpenWaves ? WaveAdvance.Earlier : null);
            waves[i] = wave with { AdvancedBy = advance };
            if (advance is null)
                break;
            if (i + 1 < waves.Count)
                open = i + 2;
        }

        var halt = waves
            .Where(w => w.Finished >= plan.Halt.MinFinishedDevices && w.Failed > plan.Halt.FailureRateThreshold * w.Finished)
            .Select(w => new HaltReason(w.Wave, w.Failed, w.Finished, plan.Halt.FailureRateThreshold))
            .FirstOrDefault();
        var remember = 1;
        for (var i = 0; i < open - 1 && waves[i] is { AdvancedBy: not null } advanced && !(advanced.Devices == 0 && advanced.AdvancedBy == WaveAdvance.Threshold); i++)
            remember = i + 2;
        var held = waves[open - 1];
        var finished = halt is null && open == waves.Count && held.AdvancedBy is not null;
        return new RolloutProgress(waves, open, halt)
        {
            IsFinished = finished,
            WavesToRemember = remember,
            Waiting = halt is null && !finished ? WaveWait.Of(plan, held, members.Where(m => m.Wave == held.Wave), clock) : null,
        };
    }

    private static int[,] Count(RolloutPlan plan, List<WaveMember> members)
    {
        var counts = new int[plan.Waves.Count, 5];
        foreach (var member in members)
        {
            if (member.Wave < 0 || member.Wave >= plan.Waves.Count)
                throw new ArgumentException($"wave {member.Wave.ToString(CultureInfo.InvariantCulture)} is not a wave of this plan", nameof(plan));
            counts[member.Wave, (int)member.Outcome.State]++;
        }

        return counts;
    }

    private static WaveProgress Counted(int[,] counts, int i)
    {
        var installed = counts[i, (int)DeviceRolloutState.Installed];
        var pending = counts[i, (int)DeviceRolloutState.Pending];
        var failed = counts[i, (int)DeviceRolloutState.Failed];
        var incompatible = counts[i, (int)DeviceRolloutState.Incompatible];
        var offline = counts[i, (int)DeviceRolloutState.Offline];
        return new WaveProgress(i, installed + pending + failed + incompatible + offline, installed, pending, failed, incompatible, offline);
    }

    // Compared as decimals (exact for shares like 0.9 × 10) so a boundary is never missed by a rounding.
    private static WaveAdvance? AdvanceOf(RolloutPlan plan, WaveProgress wave, DateTimeOffset? deadline, DateTimeOffset now)
    {
        if (wave.Settled >= plan.WaveAdvanceShare * wave.Counted)
            return WaveAdvance.Threshold;
        if (deadline is { } at && now >= at)
            return WaveAdvance.TimeLimit;
        return null;
    }
}
