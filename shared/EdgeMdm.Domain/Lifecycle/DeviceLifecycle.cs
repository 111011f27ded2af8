namespace EdgeMdm.Domain.Lifecycle;

/// <summary>Where a device is in its life at the site.</summary>
public enum DeviceState
{
    Enrolling,
    Staging,
    Active,
    Quarantined,
    InRepair,
    Retired,
}

/// <summary>One recorded change of state: who did it, when and why.</summary>
public sealed record StateTransition(
    DeviceState From,
    DeviceState To,
    string Actor,
    string Reason,
    DateTimeOffset At);

public sealed class InvalidTransitionException(DeviceState from, DeviceState to)
    : InvalidOperationException($"a device cannot go from {from} to {to}")
{
    public DeviceState From { get; } = from;
    public DeviceState To { get; } = to;
}

/// <summary>
/// The lifecycle state machine:
/// <code>
///   Enrolling → Staging → Active ⇄ Quarantined → InRepair → Retired
/// </code>
/// plus the moves a real floor needs: Active → InRepair (a broken scanner goes straight to the bench),
/// InRepair → Staging (a repaired device is staged again before it returns to the floor),
/// Quarantined → Retired (a lost device is written off), Enrolling or Staging → Quarantined (a device handed away, to a
/// courier or a repair depot, before it reached the floor: chain of custody), and re-enrollment: a wiped device that enrolls
/// again goes back to Enrolling from any state but Retired. Retired is final.
/// The move back to Enrolling is made only by an enrollment, and <see cref="Reenrollment"/> decides who may make it;
/// an operator moves a device by hand only to the other targets (<see cref="OperatorTargets"/>).
/// </summary>
public static class DeviceLifecycle
{
    private static readonly Dictionary<DeviceState, DeviceState[]> Allowed = new()
    {
        [DeviceState.Enrolling] = [DeviceState.Staging, DeviceState.Quarantined],
        [DeviceState.Staging] = [DeviceState.Active, DeviceState.Quarantined, DeviceState.Enrolling],
        [DeviceState.Active] = [DeviceState.Quarantined, DeviceState.InRepair, DeviceState.Enrolling],
        [DeviceState.Quarantined] = [DeviceState.Active, DeviceState.InRepair, DeviceState.Retired, DeviceState.Enrolling],
        [DeviceState.InRepair] = [DeviceState.Staging, DeviceState.Retired, DeviceState.Enrolling],
        [DeviceState.Retired] = [],
    };

    public static bool CanTransition(DeviceState from, DeviceState to) =>
        Allowed.TryGetValue(from, out var targets) && Array.IndexOf(targets, to) >= 0;

    public static IReadOnlyList<DeviceState> AllowedTargets(DeviceState from) =>
        Allowed.TryGetValue(from, out var targets) ? targets : [];

    /// <summary>
    /// The targets an operator may move a device to by hand: the allowed ones but Enrolling, which would let any
    /// enrollment token take the device over. An operator lets a device enroll again with an allowance instead.
    /// </summary>
    public static IReadOnlyList<DeviceState> OperatorTargets(DeviceState from) =>
        AllowedTargets(from).Where(target => target != DeviceState.Enrolling).ToList();

    /// <summary>Validates a move and returns the record of it; throws when the move is not allowed.</summary>
    public static StateTransition Transition(DeviceState from, DeviceState to, string actor, string reason, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (!CanTransition(from, to))
            throw new InvalidTransitionException(from, to);
        return new StateTransition(from, to, actor, reason, at);
    }

    /// <summary>A device in this state may check in and receive commands.</summary>
    public static bool MayCheckIn(DeviceState state) => state != DeviceState.Retired;
}
