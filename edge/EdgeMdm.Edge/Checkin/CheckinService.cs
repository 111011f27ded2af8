using System.Collections.Concurrent;
using System.Text.Json;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Edge.Commands;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.Rollouts;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Checkin;

public interface ICheckinStore
{
    Task<Outcome<CheckinResponse>> CheckinAsync(string secretHash, DeviceStatus? changes, string? heldDeclarationsToken, DateTimeOffset now);

    /// <summary>
    /// The declarations document the device holding the secret gets (<c>GET /api/v1/declarations</c>): its group's,
    /// or, while it is declared nothing (<see cref="DeviceAccess.IsDeclared"/>: quarantined), its group's empty one.
    /// Not signed yet: the endpoint signs it as the device's set when it sends it.
    /// </summary>
    Outcome<DeviceDeclarations> DeclarationsOf(string secretHash);
}

/// <summary>A device's declarations before they are signed as its set.</summary>
/// <param name="ReportedHeldVersion">The set version the device last reported it holds (its status); null before it reported one.</param>
public sealed record DeviceDeclarations(string DeviceId, DeclarationsDocument Document, long? ReportedHeldVersion);

/// <summary>
/// A check-in in one writer unit: the device's status merged with what it reports, judged against what it is
/// declared (drift), staging completed when it says so and holds the current declarations, and its open commands
/// handed out. Decisions come from the pure domain; this only loads, calls and saves.
/// A quarantined device's check-in is stored like any other, and still judged against its group's declarations
/// (drift shows what it would need to come back), but it is answered the empty declarations' token and only the
/// commands it takes (<see cref="DeviceAccess"/>).
/// </summary>
internal sealed class CheckinService(
    EdgeStorage storage,
    IDeviceRegistry devices,
    IDeviceQueries reads,
    IDeviceCommands commands,
    IDeclarations declarations,
    ISiteRollouts rollouts,
    IStagingGate staging,
    IEnumerable<ICheckinObserver> observers,
    IOptions<EdgeOptions> options,
    TimeProvider clock) : ICheckinStore, IDeviceDeclarations
{
    private const string Appliance = "appliance";

    // The status each device's last committed check-in wrote, already parsed: reading a device's whole status back
    // from JSON was the largest managed cost of a check-in on the writer (docs/benchmarks.md). An entry stands for
    // the row only while the row's check-in and enrollment counts are the ones it was written with; everything
    // that changes a stored status moves one of them. Bounded, so a site with more devices parses the rest.
    private const int MaxParsedStatuses = 20_000;
    private readonly ConcurrentDictionary<string, ParsedStatus> _parsedStatuses = new(StringComparer.Ordinal);
    private readonly int _checkinIntervalSeconds = options.Value.CheckinIntervalSeconds;
    private readonly ICheckinObserver[] _observers = [.. observers];

    public Task<Outcome<CheckinResponse>> CheckinAsync(string secretHash, DeviceStatus? changes, string? heldDeclarationsToken, DateTimeOffset now) =>
        storage.WriteAsync<Outcome<CheckinResponse>>(unit =>
        {
            if (devices.BySecret(unit, secretHash) is not { } device)
                return DeviceRefusals.UnknownSecret;
            if (!DeviceLifecycle.MayCheckIn(device.State))
                return DeviceRefusals.Retired(device);

            var stored = StoredStatusOf(device);
            var status = changes is null ? stored : StatusMerge.Apply(stored, changes);
            var before = RolloutDevice.Of(device, stored, device.LastCheckinAt);
            var after = before with { Status = status, LastCheckIn = now };
            // Drift against what this device is declared: a device its rollout keeps on the from version is not
            // out of line for running it (docs/architecture.md, rollouts at the site).
            var declared = declarations.DeclaredFor(after, now);
            var drift = DriftEvaluator.Evaluate(declared.Blueprint, status, now);
            var outcomeChanged = declarations.StagedIn(device.Group)
                .Any(s => rollouts.Tracker.Judge(s.Rollout, before, now) != rollouts.Tracker.Judge(s.Rollout, after, now));

            // Step reports are checked first, before anything of the check-in is written: a refused one writes nothing.
            var verdict = staging.Record(unit, device, changes?.Staging, now);
            if (verdict.Refusal is { } refused)
                return refused;
            var holdsDeclarations = string.Equals(heldDeclarationsToken, declared.Declarations.Token, StringComparison.Ordinal);
            var staged = verdict.State switch
            {
                // A plan: every step succeeded and nothing drifts from the group's blueprint.
                StagingGateState.Complete => drift.Compliant,
                // No plan (an older agent's group): the device says itself when its steps are done.
                StagingGateState.NoPlan => StatusMerge.StagingComplete(status.Staging),
                _ => false,
            };
            if (device.State == DeviceState.Staging && staged && holdsDeclarations)
            {
                devices.Transition(unit, device.Id, DeviceState.Staging, DeviceState.Active, Appliance, "staging complete", now);
            }

            var written = devices.RecordCheckin(unit, device.Id, new CheckinWrite(
                changes is null ? null : JsonSerializer.Serialize(status, DeviceProtocolJson.Default.DeviceStatus),
                drift.Compliant, drift.Findings, heldDeclarationsToken, changes?.Os?.Version, changes?.Apps, now));
            if (changes is not null)
            {
                foreach (var observer in _observers)
                    observer.Observe(unit, device, stored, changes, status, now);
            }

            var open = commands.TakeOpen(unit, device.Id, device.State, now);
            var answered = DeviceAccess.IsDeclared(device.State) ? declared.Declarations : declarations.Withheld(device.Group);

            // Only once committed: a unit rolled back must not leave a status that no row holds.
            // A check-in that wrote nothing left the row's count (and status) as they were.
            var parsed = new ParsedStatus(device.Id, written ? device.CheckinCount + 1 : device.CheckinCount, device.EnrollmentCount, status);
            unit.OnCommitted(() =>
            {
                RememberStatus(parsed);
                if (outcomeChanged)
                    rollouts.Tracker.Stale.Pulse();
            });
            return new CheckinResponse(answered.Token, open, _checkinIntervalSeconds);
        });

    public Outcome<DeviceDeclarations> DeclarationsOf(string secretHash)
    {
        if (reads.BySecret(secretHash) is not { } device)
            return DeviceRefusals.UnknownSecret;
        if (!DeviceLifecycle.MayCheckIn(device.State))
            return DeviceRefusals.Retired(device);
        var document = DeviceAccess.IsDeclared(device.State) ? Declared(device) : declarations.Withheld(device.Group);
        return new DeviceDeclarations(device.Id, document, device.ParsedStatus().DeclarationsVerification?.HeldVersion);
    }

    /// <summary>
    /// For downloads: the declarations naming what the device may download. A device that downloads nothing
    /// (quarantined) is refused outright, so it is told why rather than that a package is not declared.
    /// </summary>
    Outcome<DeclarationsDocument> IDeviceDeclarations.Declarations(string secretHash)
    {
        if (reads.BySecret(secretHash) is not { } device)
            return DeviceRefusals.UnknownSecret;
        if (!DeviceLifecycle.MayCheckIn(device.State))
            return DeviceRefusals.Retired(device);
        if (!DeviceAccess.MayDownloadPackages(device.State))
            return DeviceRefusals.Quarantined(device, "downloads no packages");
        return Declared(device);
    }

    private DeclarationsDocument Declared(DeviceRecord device)
    {
        // Only a rollout makes the declarations depend on what the device reports; otherwise its status is not read.
        var status = declarations.StagedIn(device.Group).Count == 0 ? new DeviceStatus() : device.ParsedStatus();
        return declarations.DeclaredFor(RolloutDevice.Of(device, status, device.LastCheckinAt), clock.GetUtcNow()).Declarations;
    }

    private sealed record ParsedStatus(string DeviceId, long CheckinCount, int EnrollmentCount, DeviceStatus Status);

    private DeviceStatus StoredStatusOf(DeviceRecord device) =>
        _parsedStatuses.TryGetValue(device.Id, out var parsed) && parsed.CheckinCount == device.CheckinCount && parsed.EnrollmentCount == device.EnrollmentCount
            ? parsed.Status
            : device.ParsedStatus();

    private void RememberStatus(ParsedStatus parsed)
    {
        if (_parsedStatuses.Count < MaxParsedStatuses || _parsedStatuses.ContainsKey(parsed.DeviceId))
            _parsedStatuses[parsed.DeviceId] = parsed;
    }
}
