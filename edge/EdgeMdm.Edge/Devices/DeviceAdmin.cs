using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Telemetry;
using EdgeMdm.Edge.Wakes;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Devices;

/// <summary>What an operator does to a device at the site (<c>edgemdm-edge devices set-state</c>).</summary>
public interface IDeviceAdmin
{
    Task<Outcome<StateTransitionRecord>> TransitionAsync(string deviceIdOrSerial, DeviceState target, string actor, string reason, DateTimeOffset now);

    /// <summary>
    /// Hands the device out to <paramref name="assignment"/> ("picker 12", "route 7"), or takes it back (null), in its group;
    /// a retired device is refused. Returns the device as it is now.
    /// </summary>
    Task<Outcome<DeviceSummary>> AssignAsync(string deviceIdOrSerial, string? assignment, string actor, DateTimeOffset now);
}

internal sealed class DeviceAdmin(EdgeStorage storage, IDeviceRegistry devices, IReenrollAllowances allowances, IWakeRequests wakes) : IDeviceAdmin
{
    public Task<Outcome<StateTransitionRecord>> TransitionAsync(string deviceIdOrSerial, DeviceState target, string actor, string reason, DateTimeOffset now) =>
        storage.WriteAsync<Outcome<StateTransitionRecord>>(unit =>
        {
            if (devices.Find(unit, deviceIdOrSerial) is not { } device)
                return new Refusal(RefusalKind.NotFound, "Unknown device", $"no device {deviceIdOrSerial} at this site");
            if (target == DeviceState.Enrolling)
            {
                // By hand it would let any enrollment token take the device over, unrecorded as such.
                return new Refusal(RefusalKind.Conflict, "Transition not allowed",
                    $"a device goes to Enrolling only by enrolling again; to let device {device.Serial} do so, run '{Cli.OperatorCommands.Program} devices allow-reenroll {device.Serial}'");
            }

            // Retiring is final: its reason is what the trail and the hub keep of why (issue 27, dangerous actions).
            if (DangerousActions.ReasonRefusal(DangerousActions.OfTransition(target), reason) is { } invalid)
                return invalid;

            if (!DeviceLifecycle.OperatorTargets(device.State).Contains(target))
            {
                var allowed = string.Join(", ", DeviceLifecycle.OperatorTargets(device.State));
                return new Refusal(RefusalKind.Conflict, "Transition not allowed",
                    $"device {device.Serial} is {device.State} and cannot go to {target} (allowed: {(allowed.Length == 0 ? "none" : allowed)})");
            }

            var t = devices.Transition(unit, device.Id, device.State, target, actor, reason, now);
            // An allowance was granted for the device as it was: quarantining it (say) must not leave it open.
            allowances.Close(unit, device.Id, "revoked", $"{actor} moved the device to {target}", now);
            // Back to staging (after a repair): the device has staging steps to run again.
            if (target == DeviceState.Staging)
                wakes.Queue(unit, device.Id, WakeReasons.Staging, now);
            return new StateTransitionRecord(t.From, t.To, t.Actor, t.Reason, t.At);
        });

    public Task<Outcome<DeviceSummary>> AssignAsync(string deviceIdOrSerial, string? assignment, string actor, DateTimeOffset now) =>
        storage.WriteAsync<Outcome<DeviceSummary>>(unit =>
        {
            if (devices.Find(unit, deviceIdOrSerial) is not { } device)
                return new Refusal(RefusalKind.NotFound, "Unknown device", $"no device {deviceIdOrSerial} at this site");
            if (device.State == DeviceState.Retired)
                return new Refusal(RefusalKind.Conflict, "Device retired", $"device {device.Serial} is retired and is handed out to no one");
            var reason = assignment is null ? "unassigned" : "assigned to " + assignment;
            devices.Reassign(unit, device.Id, device.Group, assignment, actor, reason, swapId: null, now);
            return DeviceSummary.Of(device with { Assignment = assignment }, now, Domain.Drift.ComplianceClassifier.DefaultStaleAfter, blueprint: null);
        });
}

public static class DeviceRegistration
{
    public static IServiceCollection AddDevices(this IServiceCollection services)
    {
        services.AddSingleton<KnownSecrets>();
        services.AddSingleton<IDeviceRegistry, DeviceRegistry>();
        services.AddSingleton<UnsavedSightings>();
        services.AddSingleton<SightingsWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<SightingsWriter>());
        services.AddSingleton<IDeviceAdmin, DeviceAdmin>();
        services.AddFeatureMetrics<DeviceMetrics>();
        services.AddSingleton<Sync.ISiteSnapshot, DeviceSnapshot>();
        services.AddSingleton<IReenrollAllowances, ReenrollAllowances>();
        services.AddAuthentication().AddDeviceSecret();
        // The policy names no scheme: DeviceSecret is the default one, which the authentication middleware has already
        // run. Naming it would make authorization authenticate again and merge the principals, on every device request
        // (0.75 KB of garbage per check-in).
        services.AddAuthorizationBuilder().AddPolicy(DeviceAuthentication.Policy, policy => policy.RequireAuthenticatedUser());
        return services.AddSingletonServing<DeviceQueries>(typeof(IDeviceQueries), typeof(IDeviceCredentials), typeof(Sync.IUpstreamStatus));
    }
}
