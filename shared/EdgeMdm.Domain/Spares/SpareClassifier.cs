using EdgeMdm.Domain.Lifecycle;

namespace EdgeMdm.Domain.Spares;

/// <summary>A pool member's condition, first match wins in this order (README "Spares and swaps").</summary>
public enum SpareState
{
    /// <summary>Staged, compliant, unassigned and charged to the site's threshold: the one a swap may hand out.</summary>
    Ready,

    /// <summary>Would be Ready but its charge is under the threshold, or unknown.</summary>
    Charging,

    /// <summary>Enrolling or Staging, or Active with drift (what the device reports): not fit for the floor yet.</summary>
    Staging,

    /// <summary>Handed out (it has an assignment): on the floor, not on the shelf.</summary>
    Assigned,

    /// <summary>Quarantined or InRepair.</summary>
    InRepair,

    /// <summary>Retired: it will not come back.</summary>
    Retired,
}

/// <summary>
/// What the classifier needs of a member: its lifecycle state, whether its last check-in reported zero drift, whether
/// it is handed out, and its charge (null: unknown).
/// </summary>
public sealed record SpareFacts(DeviceState State, bool Compliant, bool Assigned, int? ChargePercent);

/// <summary>A pool member as a swap weighs it.</summary>
public sealed record SpareCandidate(string DeviceId, string Serial, SpareState State, int? ChargePercent, bool Compliant, DateTimeOffset? LastCheckinAt);

public static class SpareClassifier
{
    /// <summary>The site's default charge threshold for Ready, in percent (<c>Edge:Spares:ReadyChargePercent</c>).</summary>
    public const int DefaultReadyChargePercent = 80;

    /// <summary>
    /// Retired, then InRepair (Quarantined or InRepair), then Staging (Enrolling, Staging, or Active with drift), then
    /// Assigned, then Charging (under <paramref name="readyChargePercent"/> or unknown), else Ready.
    /// </summary>
    public static SpareState Classify(SpareFacts facts, int readyChargePercent)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return facts.State switch
        {
            DeviceState.Retired => SpareState.Retired,
            DeviceState.Quarantined or DeviceState.InRepair => SpareState.InRepair,
            DeviceState.Enrolling or DeviceState.Staging => SpareState.Staging,
            _ when !facts.Compliant => SpareState.Staging,
            _ when facts.Assigned => SpareState.Assigned,
            _ when facts.ChargePercent is not { } charge || charge < readyChargePercent => SpareState.Charging,
            _ => SpareState.Ready,
        };
    }

    /// <summary>
    /// The spare a swap proposes: a Ready one, highest charge first, then compliant, then the newest check-in, then by
    /// serial (so the same floor always proposes the same spare); null when none is Ready.
    /// </summary>
    public static SpareCandidate? Best(IEnumerable<SpareCandidate> candidates) =>
        candidates
            .Where(c => c.State == SpareState.Ready)
            .OrderByDescending(c => c.ChargePercent ?? -1)
            .ThenByDescending(c => c.Compliant)
            .ThenByDescending(c => c.LastCheckinAt ?? DateTimeOffset.MinValue)
            .ThenBy(c => c.Serial, StringComparer.Ordinal)
            .FirstOrDefault();
}
