using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Spares;

namespace EdgeMdm.Edge.Spares;

/// <summary>One pool (per device model) against its minimum: how many spares are in each state.</summary>
public sealed record SparePoolStatus(string Model, int Minimum, int Ready, IReadOnlyDictionary<SpareState, int> ByState)
{
    public bool BelowMinimum => Ready < Minimum;
}

/// <summary>The site's spare pools, as readiness sees them. Declared by Spares.</summary>
public interface ISparePools
{
    IReadOnlyList<SparePoolStatus> Pools();
}

/// <summary>
/// One member of a pool as the floor sees it now: its <see cref="State"/> (Domain <c>SpareClassifier</c>), its charge
/// (the device's report, or its cradle slot's reading when that is newer: <see cref="ChargeSource"/>), where it sits.
/// </summary>
public sealed record SpareMember(
    string DeviceId,
    string Serial,
    string Model,
    string Group,
    string? Assignment,
    SpareState State,
    EdgeMdm.Domain.Lifecycle.DeviceState DeviceState,
    bool Compliant,
    int? ChargePercent,
    string? ChargeSource,
    string? Slot,
    DateTimeOffset? LastCheckinAt);

/// <summary>A pool with its members (<c>spares list</c>).</summary>
public sealed record SparePool(string Model, int Minimum, int Ready, bool BelowMinimum, IReadOnlyDictionary<SpareState, int> ByState, IReadOnlyList<SpareMember> Members);

/// <summary>What an operator does to pools (<c>edgemdm-edge spares</c>); each change looks at the pools' alerts in its unit.</summary>
public interface ISpareAdmin
{
    /// <summary>Every pool with its members, by model.</summary>
    IReadOnlyList<SparePool> List();

    /// <summary>Creates the pool of <paramref name="model"/> or changes its minimum.</summary>
    Task<Outcome<SparePool>> SetPoolAsync(string model, int minimum, string actor, DateTimeOffset now);

    /// <summary>
    /// Puts the device in its model's pool (<paramref name="pool"/>: the pool the operator meant; another model than the
    /// device's is refused). The pool must exist.
    /// </summary>
    Task<Outcome<SpareMember>> AddAsync(string deviceIdOrSerial, string? pool, string actor, DateTimeOffset now);

    /// <summary>Takes the device out of its pool.</summary>
    Task<Outcome<SpareMember>> RemoveAsync(string deviceIdOrSerial, string actor, DateTimeOffset now);
}

public enum SwapState
{
    Proposed,
    Confirmed,
    Cancelled,
    Expired,
}

/// <summary>
/// A swap: the broken device, why, the spare proposed, and once confirmed the spare that was scanned.
/// <see cref="Slot"/>: where the proposed spare sits ("CRADLE/SLOT"), <see cref="Lit"/>: whether its LED was lit (only the
/// serving appliance lights one).
/// </summary>
public sealed record SwapView(
    string SwapId,
    string DeviceId,
    string DeviceSerial,
    string Model,
    string Reason,
    bool Wipe,
    string ProposedSpareId,
    string ProposedSerial,
    string? SpareId,
    string? SpareSerial,
    SwapState State,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? ClosedAt,
    string? ClosedBy,
    string? Slot = null,
    bool Lit = false);

/// <summary>
/// Swaps, as data: start proposes a spare and stores the proposal (changing neither device), confirm moves group and
/// assignment to the scanned spare and quarantines the broken device in one writer unit, all or nothing. Cradle LEDs
/// are the serving process's (<c>SwapEndpoints</c>), not this interface's.
/// </summary>
public interface ISwaps
{
    Task<Outcome<SwapView>> StartAsync(string deviceIdOrSerial, string reason, bool wipe, string actor, DateTimeOffset now);

    Task<Outcome<SwapView>> ConfirmAsync(string swapId, string spareSerial, string actor, DateTimeOffset now);

    Task<Outcome<SwapView>> CancelAsync(string swapId, string actor, DateTimeOffset now);

    /// <summary>Every swap, newest first.</summary>
    IReadOnlyList<SwapView> List();

    SwapView? Find(string swapId);

    /// <summary>Closes the proposals past their expiry as Expired; returns them (their LEDs are to be cleared).</summary>
    Task<IReadOnlyList<SwapView>> ExpireAsync(DateTimeOffset now);
}
