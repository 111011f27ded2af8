using EdgeMdm.Domain.Custody;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Custody;

/// <summary>
/// A hand-off as an operator states it (CLI or API). <paramref name="Subject"/>: a device id or serial, or with
/// <paramref name="Battery"/> a battery pack's serial; <paramref name="Erasure"/>: <c>METHOD:CERTIFICATE</c>, which makes it
/// a decommissioning.
/// </summary>
public sealed record CustodyRecordRequest(
    string Subject,
    bool Battery,
    string From,
    string To,
    string Actor,
    string? Note = null,
    string? Place = null,
    string? Erasure = null);

/// <summary>What a recorded hand-off did: the event as chained, and the device's lifecycle moves it made (in the same unit).</summary>
public sealed record CustodyRecorded(CustodyEvent Event, string? Serial, IReadOnlyList<StateTransitionRecord> Transitions);

/// <summary>A device's (or battery's) chain as shown: the subject, its serial when a device, its state, and the events in chain order.</summary>
public sealed record CustodyChainView(string Subject, CustodySubjectKind Kind, string? Serial, DeviceState? State, IReadOnlyList<CustodyEvent> Events);

/// <summary>The operator's side of custody: record a hand-off (with its lifecycle effects), show, export, verify.</summary>
public interface ICustodyDesk
{
    Task<Outcome<CustodyRecorded>> RecordAsync(CustodyRecordRequest request, DateTimeOffset now);

    /// <summary>The chain of a device (id or serial) or, failing that, of a battery serial with events; null when neither.</summary>
    CustodyChainView? Show(string deviceIdSerialOrBattery);

    /// <summary>Events of one subject (a device id or serial, or a battery serial; null: all) in [since, until), by time.</summary>
    IReadOnlyList<CustodyEvent> Export(string? subject, DateTimeOffset? since, DateTimeOffset? until);

    /// <summary>Verifies every chain (or the subject's) as stored.</summary>
    CustodyVerification Verify(string? subject);
}

/// <summary>
/// Records a hand-off in one writer unit with everything it means: the chained event and its upstream event
/// (<see cref="ICustodyLog"/>), and for a device its lifecycle moves (each a <c>DeviceTransitioned</c> upstream) and
/// its open re-enrollment allowance closed. A device handed to anyone but the site is quarantined (from Enrolling,
/// Staging or Active); one coming back to the site keeps its state (the operator decides when it works again); an
/// erasure record retires it, which ends its credentials: check-in, downloads and MQTT refuse a retired device.
/// </summary>
internal sealed class CustodyDesk(
    EdgeStorage storage,
    CustodyStore custody,
    IDeviceRegistry devices,
    IDeviceQueries deviceQueries,
    IReenrollAllowances allowances) : ICustodyDesk
{
    /// <summary>The party that stands for the site itself in hand-offs.</summary>
    public const string Site = "site";

    public Task<Outcome<CustodyRecorded>> RecordAsync(CustodyRecordRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (CustodyRequests.Problem(request) is { } invalid)
            return Task.FromResult<Outcome<CustodyRecorded>>(invalid);
        var erasure = CustodyRequests.ErasureOf(request.Erasure);
        return storage.WriteAsync<Outcome<CustodyRecorded>>(unit =>
        {
            var device = devices.Find(unit, request.Subject.Trim());
            if (request.Battery)
            {
                return device is not null
                    ? new Refusal(RefusalKind.Conflict, "Not a battery", $"{request.Subject} is device {device.Id} (serial {device.Serial}); record it without --battery")
                    : Append(unit, request, request.Subject.Trim(), CustodySubjectKind.Battery, null, null, now);
            }

            if (device is null)
            {
                return new Refusal(RefusalKind.NotFound, "Unknown device",
                    $"no device {request.Subject} at this site; a battery pack is recorded with --battery");
            }

            return Append(unit, request, device.Id, CustodySubjectKind.Device, device, erasure, now);
        });
    }

    private Outcome<CustodyRecorded> Append(
        UnitOfWork unit, CustodyRecordRequest request, string subject, CustodySubjectKind kind, DeviceRecord? device, ErasureRecord? erasure, DateTimeOffset now)
    {
        var head = unit.Db.Query<CustodyStore.CustodyRow>(
            "SELECT to_party AS ToParty, idx AS Idx FROM custody_events WHERE subject = ? ORDER BY idx DESC LIMIT 1", subject).FirstOrDefault();
        var from = request.From.Trim();
        if (head is not null && !string.Equals(head.ToParty, from, StringComparison.OrdinalIgnoreCase))
        {
            return new Refusal(RefusalKind.Conflict, "Not the holder",
                $"{request.Subject} was last handed to '{head.ToParty}' (event {head.Idx}); a hand-off from '{from}' does not follow it");
        }

        var handOff = new CustodyHandOff(subject, kind, from, request.To.Trim(), request.Actor, Trimmed(request.Place), Trimmed(request.Note), erasure);
        var recorded = custody.Append(unit, handOff, now);
        var moves = device is null ? [] : Lifecycle(unit, device, recorded, request.Actor, now);
        return new CustodyRecorded(recorded, device?.Serial, moves);
    }

    /// <summary>The device's moves for this hand-off, in the caller's unit; none when it stays as it is.</summary>
    private List<StateTransitionRecord> Lifecycle(UnitOfWork unit, DeviceRecord device, CustodyEvent recorded, string actor, DateTimeOffset now)
    {
        var moves = new List<StateTransitionRecord>();
        var state = device.State;
        var decommissioning = recorded.ErasureMethod.Length > 0;
        var handedAway = !string.Equals(recorded.To, Site, StringComparison.OrdinalIgnoreCase);
        if ((decommissioning || handedAway) && state is DeviceState.Enrolling or DeviceState.Staging or DeviceState.Active)
        {
            Move(DeviceState.Quarantined, $"custody: handed from {recorded.From} to {recorded.To} (event {recorded.Index})");
            state = DeviceState.Quarantined;
        }

        if (decommissioning && state != DeviceState.Retired)
            Move(DeviceState.Retired, $"decommissioned: erased by {recorded.ErasureMethod}, certificate {recorded.ErasureCertificate} (custody event {recorded.Index})");
        if (moves.Count > 0)
            allowances.Close(unit, device.Id, "revoked", $"{actor}: custody moved the device to {moves[^1].To}", now);
        return moves;

        void Move(DeviceState target, string reason)
        {
            var t = devices.Transition(unit, device.Id, state, target, actor, reason, now);
            moves.Add(new StateTransitionRecord(t.From, t.To, t.Actor, t.Reason, t.At));
        }
    }

    public CustodyChainView? Show(string deviceIdSerialOrBattery)
    {
        ArgumentNullException.ThrowIfNull(deviceIdSerialOrBattery);
        if (deviceQueries.Find(deviceIdSerialOrBattery) is { } d)
            return new CustodyChainView(d.Id, CustodySubjectKind.Device, d.Serial, d.State, custody.ChainOf(d.Id));

        var chain = custody.ChainOf(deviceIdSerialOrBattery);
        return chain.Count == 0 ? null : new CustodyChainView(deviceIdSerialOrBattery, chain[0].SubjectKind, null, null, chain);
    }

    public IReadOnlyList<CustodyEvent> Export(string? subject, DateTimeOffset? since, DateTimeOffset? until) =>
        custody.Between(subject is null ? null : SubjectOf(subject), since, until);

    public CustodyVerification Verify(string? subject) =>
        CustodyVerifier.VerifyAll(custody.InStoredOrder(subject is null ? null : SubjectOf(subject)));

    /// <summary>A device's id for its id or serial; anything else as given (a battery serial).</summary>
    private string SubjectOf(string subject) => deviceQueries.Find(subject)?.Id ?? subject;

    private static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
