using System.Security.Cryptography;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Rollouts;
using EdgeMdm.Edge.Site;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Enrollment;

public sealed record EnrollmentAttempt(string TokenHash, DeviceFacts Device);

public sealed record Enrolled(string DeviceId, string DeviceSecret, string SiteId, string Group, bool Reenrolled);

public interface IEnrollmentStore
{
    Task<Outcome<Enrolled>> EnrollAsync(EnrollmentAttempt attempt, DateTimeOffset now);
}

/// <summary>
/// Enrollment in one writer unit: the token is checked and counted, the device recorded (or, for a serial the site
/// knows, enrolled again with a new secret) and moved on to staging; the hub learns of all of it through the outbox.
/// </summary>
internal sealed class Enroller(EdgeStorage storage, ITokenStore tokens, IDeviceRegistry devices, ISiteIdentity site, ISiteRollouts rollouts)
    : IEnrollmentStore
{
    private const string Appliance = "appliance";

    public Task<Outcome<Enrolled>> EnrollAsync(EnrollmentAttempt attempt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var secret = "ds_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var credential = new DeviceCredential(CanonicalHash.Sha256Hex(secret), MosquittoPasswordHash.Create(secret));
        var facts = attempt.Device;
        return storage.WriteAsync<Outcome<Enrolled>>(unit =>
        {
            var usable = tokens.Usable(unit, attempt.TokenHash, now);
            if (usable.Value is not { } token)
                return usable.Refusal!;

            var existing = devices.BySerial(unit, facts.Serial);
            string deviceId;
            if (existing is null)
            {
                deviceId = devices.Add(unit, facts, token.Group, credential, "enrollment with token " + token.Prefix + "…", now);
            }
            else
            {
                if (!DeviceLifecycle.CanTransition(existing.State, DeviceState.Enrolling))
                    return new Refusal(RefusalKind.Forbidden, "Device cannot enroll", $"device {facts.Serial} is {existing.State} and cannot enroll again");
                deviceId = existing.Id;
                devices.Reenroll(unit, existing, facts, token.Group, credential, "re-enrollment with token " + token.Prefix + "…", now);
            }

            devices.Transition(unit, deviceId, DeviceState.Enrolling, DeviceState.Staging, Appliance, "enrollment accepted", now);
            tokens.Use(unit, attempt.TokenHash);
            // One more device to count in a rollout (or one that left another group's).
            unit.OnCommitted(rollouts.DevicesChanged);
            return new Enrolled(deviceId, secret, site.SiteIdIn(unit), token.Group, existing is not null);
        });
    }
}
