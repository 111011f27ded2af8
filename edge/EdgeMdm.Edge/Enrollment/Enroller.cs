using System.Security.Cryptography;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Rollouts;
using EdgeMdm.Edge.Site;
using EdgeMdm.Edge.Staging.Batches;
using EdgeMdm.Edge.Storage;
using Reasons = EdgeMdm.Edge.Enrollment.EnrollmentTelemetry.Reasons;

namespace EdgeMdm.Edge.Enrollment;

/// <param name="PresentedSecretHash">
/// SHA-256 hex of the bearer secret sent with the enrollment, null when none was: how a re-enrolling Active device
/// proves it is the device the site knows (<see cref="Reenrollment"/>). Ignored for a new serial.
/// </param>
/// <param name="Code">The staging QR code the device enrolls from, null when it came with the token alone.</param>
public sealed record EnrollmentAttempt(string TokenHash, DeviceFacts Device, string? PresentedSecretHash = null, StagingCode? Code = null);

public sealed record Enrolled(string DeviceId, string DeviceSecret, string SiteId, string Group, bool Reenrolled);

public interface IEnrollmentStore
{
    Task<Outcome<Enrolled>> EnrollAsync(EnrollmentAttempt attempt, DateTimeOffset now);
}

/// <summary>
/// Enrollment in one writer unit: the token is checked and counted, the device recorded (or, for a serial the site
/// knows and <see cref="Reenrollment"/> lets enroll again, enrolled again with a new secret, using up the operator's
/// allowance if it had one) and moved on to staging; the hub learns of all of it through the outbox. A refusal
/// writes nothing, and is counted and logged once the unit is over.
/// </summary>
internal sealed class Enroller(
    EdgeStorage storage,
    ITokenStore tokens,
    IDeviceRegistry devices,
    IReenrollAllowances allowances,
    ISiteIdentity site,
    ISiteRollouts rollouts,
    IBatchEnrollment batches,
    EnrollmentTelemetry telemetry,
    EnrollmentGuessingAlarm guessing) : IEnrollmentStore
{
    private const string Appliance = "appliance";

    public async Task<Outcome<Enrolled>> EnrollAsync(EnrollmentAttempt attempt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var secret = "ds_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var credential = new DeviceCredential(CanonicalHash.Sha256Hex(secret), MosquittoPasswordHash.Create(secret));
        var result = await storage.WriteAsync(unit => Enroll(unit, attempt, secret, credential, now));
        var serial = attempt.Device.Serial;
        switch (result)
        {
            case { Refusal: { } refusal, DeviceId: null }:
                telemetry.TokenRefused(result.Reason!, serial, refusal.Detail);
                await guessing.TokenRefusedAsync();
                break;
            case { Refusal: { } refusal, DeviceId: { } deviceId }:
                telemetry.ReenrollmentRefused(result.Reason!, deviceId, serial, refusal.Detail);
                break;
            case { UsedAllowance: { } allowance, DeviceId: { } deviceId }:
                telemetry.AllowanceUsed(deviceId, serial, allowance.GrantedBy, allowance.Reason);
                break;
        }

        return result.Refusal is { } refused ? refused : result.Enrolled!;
    }

    /// <summary>What the unit did: enrolled, or refused with the reason it is counted under (and the device, for a known serial).</summary>
    private sealed record Result(Enrolled? Enrolled, Refusal? Refusal, string? Reason, string? DeviceId, ReenrollAllowance? UsedAllowance);

    private Result Enroll(UnitOfWork unit, EnrollmentAttempt attempt, string secret, DeviceCredential credential, DateTimeOffset now)
    {
        var facts = attempt.Device;
        // The batch before the token: an expired or finished batch says so, rather than the token it holds.
        var admission = batches.Admit(unit, attempt.TokenHash, attempt.Code, site.SiteIdIn(unit), now);
        if (admission.Refusal is { } batchRefusal)
            return new Result(null, batchRefusal, admission.Reason, null, null);
        var batchId = admission.BatchId;
        var usable = tokens.Usable(unit, attempt.TokenHash, now);
        if (usable.Value is not { } token)
            return new Result(null, usable.Refusal, TokenReason(usable.Refusal!), null, null);

        var existing = devices.BySerial(unit, facts.Serial);
        string deviceId;
        ReenrollAllowance? used = null;
        if (existing is null)
        {
            deviceId = devices.Add(unit, facts, token.Group, credential, "enrollment with token " + token.Prefix + "…", now, batchId);
        }
        else
        {
            // Compared here, in the writer unit, so the secret checked is the one this enrollment replaces.
            var presentsSecret = attempt.PresentedSecretHash is { } presented && devices.HoldsSecret(unit, existing.Id, presented);
            var allowance = allowances.Open(unit, existing.Id);
            var verdict = Reenrollment.Decide(existing.State, new ReenrollmentProof(presentsSecret, allowance?.IsUsableAt(now) == true));
            if (!verdict.IsAllowed())
            {
                var reason = RefusalReason(existing.State, attempt.PresentedSecretHash is not null, allowance);
                return new Result(null, Refused(existing, verdict, allowance, now), reason, existing.Id, null);
            }

            deviceId = existing.Id;
            devices.Reenroll(unit, existing, facts, token.Group, credential, ReenrollmentReason(token, verdict, allowance), now, batchId);
            // Used up by whichever enrollment comes first, even one the token alone allowed: an allowance never
            // outlives the re-enrollment it was for.
            if (allowance?.IsUsableAt(now) == true)
            {
                allowances.Close(unit, existing.Id, "used", $"re-enrollment with token {token.Prefix}… into group {token.Group}", now);
                used = verdict == ReenrollmentVerdict.OperatorAllowance ? allowance : null;
            }
        }

        devices.Transition(unit, deviceId, DeviceState.Enrolling, DeviceState.Staging, Appliance, "enrollment accepted", now);
        tokens.Use(unit, attempt.TokenHash);
        if (batchId is not null)
            batches.AddMember(unit, batchId, deviceId, attempt.Code?.Proof.Slot, now);
        // One more device to count in a rollout (or one that left another group's).
        unit.OnCommitted(rollouts.DevicesChanged);
        return new Result(new Enrolled(deviceId, secret, site.SiteIdIn(unit), token.Group, existing is not null), null, null, deviceId, used);
    }

    /// <summary>The transition's reason says what allowed it; it goes up to the hub with the transition.</summary>
    private static string ReenrollmentReason(UsableToken token, ReenrollmentVerdict verdict, ReenrollAllowance? allowance) =>
        "re-enrollment with token " + token.Prefix + "…" + verdict switch
        {
            ReenrollmentVerdict.CurrentSecret => ", proved by the device's current secret",
            ReenrollmentVerdict.OperatorAllowance => $", allowed by {allowance!.GrantedBy} ({allowance.Reason})",
            _ => "",
        };

    private static Refusal Refused(DeviceRecord device, ReenrollmentVerdict verdict, ReenrollAllowance? allowance, DateTimeOffset now)
    {
        var hint = $"({OperatorCommandHint(device.Serial)})";
        var detail = verdict switch
        {
            ReenrollmentVerdict.NeedsSecretOrAllowance =>
                $"device {device.Serial} is active; re-enrollment needs its current credential or an operator's allowance {hint}",
            ReenrollmentVerdict.NeedsAllowance =>
                $"device {device.Serial} is quarantined; re-enrollment needs an operator's allowance {hint}",
            _ => $"device {device.Serial} is retired (Retired is final) and cannot enroll again",
        };
        if (allowance is not null && !allowance.IsUsableAt(now) && verdict != ReenrollmentVerdict.Final)
            detail += $"; the allowance {allowance.GrantedBy} gave expired at {allowance.ExpiresAt:O}";
        return new Refusal(RefusalKind.Forbidden, "Re-enrollment not allowed", detail);
    }

    private static string OperatorCommandHint(string serial) => $"{Cli.OperatorCommands.Program} devices allow-reenroll {serial}";

    private static string RefusalReason(DeviceState state, bool presentedSecret, ReenrollAllowance? allowance) => state switch
    {
        DeviceState.Retired => Reasons.DeviceRetired,
        _ when allowance is not null => Reasons.AllowanceExpired,
        DeviceState.Quarantined => Reasons.DeviceQuarantined,
        _ when presentedSecret => Reasons.CredentialMismatch,
        _ => Reasons.DeviceActive,
    };

    private static string TokenReason(Refusal refusal) => refusal.Title switch
    {
        EnrollmentTokens.ExpiredTitle => Reasons.TokenExpired,
        EnrollmentTokens.UsedUpTitle => Reasons.TokenUsedUp,
        _ => Reasons.TokenUnknown,
    };
}
