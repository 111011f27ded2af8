namespace EdgeMdm.Domain.Lifecycle;

/// <summary>
/// What a caller enrolling a serial the site already knows brings besides a valid enrollment token.
/// </summary>
/// <param name="PresentsCurrentSecret">It authenticated with the device's current secret (the one the site issued last).</param>
/// <param name="HasOperatorAllowance">An operator allowed this serial to enroll again, and the allowance has not expired or been used.</param>
public readonly record struct ReenrollmentProof(bool PresentsCurrentSecret, bool HasOperatorAllowance);

/// <summary>The outcome of <see cref="Reenrollment.Decide"/>: allowed (and on what ground) or refused (and why).</summary>
public enum ReenrollmentVerdict
{
    /// <summary>Allowed: the token alone is enough in this state.</summary>
    TokenSuffices,

    /// <summary>Allowed: the caller proved it is the device by its current secret.</summary>
    CurrentSecret,

    /// <summary>Allowed by an operator's allowance, which the enrollment uses up.</summary>
    OperatorAllowance,

    /// <summary>Refused: an Active device needs its current secret or an operator's allowance.</summary>
    NeedsSecretOrAllowance,

    /// <summary>Refused: a Quarantined device needs an operator's allowance; its own secret does not count.</summary>
    NeedsAllowance,

    /// <summary>Refused: Retired is final.</summary>
    Final,
}

/// <summary>
/// Who may enroll a serial the site already knows, taking over its record: its id, history, queued commands and
/// group. An enrollment token proves the caller may join the site, not that it is this device, so the token alone
/// is enough only where nothing on the floor is at stake:
/// <list type="table">
///   <item><term>Enrolling, Staging, InRepair</term><description>the token alone: a device being set up, or one coming
///   back from the bench or a wipe (the way a repaired device returns, as before).</description></item>
///   <item><term>Active</term><description>the device's current secret (sent as a bearer credential with the
///   enrollment), or an operator's allowance for the serial.</description></item>
///   <item><term>Quarantined</term><description>an operator's allowance only. A quarantined device may be lost or
///   stolen, so holding its secret proves nothing about who holds the device.</description></item>
///   <item><term>Retired</term><description>never: <see cref="DeviceLifecycle"/> keeps Retired final, and an allowance
///   does not change that (a written-off serial stays written off at the site).</description></item>
/// </list>
/// An allowed re-enrollment lands the device in the token's group, as a new device would; a refused one changes
/// nothing, its group included.
/// </summary>
public static class Reenrollment
{
    /// <summary>How long an operator's allowance may be given for, at most: it lifts the takeover protection for the serial.</summary>
    public static readonly TimeSpan MaxAllowanceLifetime = TimeSpan.FromDays(1);

    /// <summary>What an allowance is given for when the operator names no lifetime.</summary>
    public static readonly TimeSpan DefaultAllowanceLifetime = TimeSpan.FromHours(1);

    public static ReenrollmentVerdict Decide(DeviceState state, ReenrollmentProof proof) => state switch
    {
        DeviceState.Enrolling or DeviceState.Staging or DeviceState.InRepair => ReenrollmentVerdict.TokenSuffices,
        DeviceState.Active when proof.PresentsCurrentSecret => ReenrollmentVerdict.CurrentSecret,
        DeviceState.Active when proof.HasOperatorAllowance => ReenrollmentVerdict.OperatorAllowance,
        DeviceState.Active => ReenrollmentVerdict.NeedsSecretOrAllowance,
        DeviceState.Quarantined when proof.HasOperatorAllowance => ReenrollmentVerdict.OperatorAllowance,
        DeviceState.Quarantined => ReenrollmentVerdict.NeedsAllowance,
        _ => ReenrollmentVerdict.Final,
    };

    public static bool IsAllowed(this ReenrollmentVerdict verdict) =>
        verdict is ReenrollmentVerdict.TokenSuffices or ReenrollmentVerdict.CurrentSecret or ReenrollmentVerdict.OperatorAllowance;

    /// <summary>
    /// Whether an operator's allowance changes anything for a device in <paramref name="state"/>: only where the token
    /// alone is not enough and the state is not final.
    /// </summary>
    public static bool AllowanceApplies(DeviceState state) => state is DeviceState.Active or DeviceState.Quarantined;
}
