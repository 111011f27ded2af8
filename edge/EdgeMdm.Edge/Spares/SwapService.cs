using System.Security.Cryptography;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Custody;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Spares;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.Commands;
using EdgeMdm.Edge.Custody;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Spares;

/// <summary>
/// Swaps (table <c>swaps</c>). Start stores a proposal and changes neither device. Confirm does every step in one writer
/// unit, which is a savepoint of the group commit: a step that throws rolls back the whole swap (and only it), and the
/// exception reaches the caller; a refusal is decided before the first write.
/// </summary>
internal sealed class SwapService(
    EdgeStorage storage, IDeviceRegistry devices, IReenrollAllowances allowances, ICommandEnqueuer commands, ICustodyLog custody,
    IAuditLog audit, SparePools pools, IOptions<SpareOptions> options) : ISwaps
{
    public const string NoReadySpareType = "urn:edgemdm:problem:swap:no-ready-spare";
    public const string SpareNotReadyType = "urn:edgemdm:problem:swap:spare-not-ready";
    public const string WipeCommand = EdgeMdm.Contracts.Device.DeviceCommandTypes.Wipe;

    private static readonly IReadOnlyDictionary<string, string> NoParameters = new Dictionary<string, string>(StringComparer.Ordinal);

    public Task<Outcome<SwapView>> StartAsync(string deviceIdOrSerial, string reason, bool wipe, string actor, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(reason))
            return Task.FromResult<Outcome<SwapView>>(new Refusal(RefusalKind.Unprocessable, "Reason required", "a swap needs a reason (what is wrong with the device)"));
        return storage.WriteAsync<Outcome<SwapView>>(unit =>
        {
            if (devices.Find(unit, deviceIdOrSerial) is not { } device)
                return new Refusal(RefusalKind.NotFound, "Unknown device", $"no device {deviceIdOrSerial} at this site");
            if (device.State != DeviceState.Active)
                return new Refusal(RefusalKind.Conflict, "Device not active", $"device {device.Serial} is {device.State}: only an Active device is swapped out");
            var open = SpareStore.OpenSwaps(unit.Db);
            if (open.Find(s => string.Equals(s.DeviceId, device.Id, StringComparison.Ordinal) && s.ExpiresAt > now.ToUnixTimeMilliseconds()) is { } pending)
                return new Refusal(RefusalKind.Conflict, "Swap already proposed", $"swap {pending.Id} is proposed for device {device.Serial} already (confirm or cancel it)");
            var spokenFor = open.Where(s => s.ExpiresAt > now.ToUnixTimeMilliseconds()).Select(s => s.ProposedSpareId).ToHashSet(StringComparer.Ordinal);
            var candidates = pools.List(unit)
                .Where(p => string.Equals(p.Model, device.Model, StringComparison.Ordinal))
                .SelectMany(p => p.Members)
                .Where(m => !string.Equals(m.DeviceId, device.Id, StringComparison.Ordinal) && !spokenFor.Contains(m.DeviceId))
                .Select(m => new SpareCandidate(m.DeviceId, m.Serial, SparePools.ToDomain(m.State), m.ChargePercent, m.Compliant, m.LastCheckinAt));
            if (SpareClassifier.Best(candidates) is not { } best)
            {
                return new Refusal(RefusalKind.Conflict, "No ready spare", $"the {device.Model} pool has no Ready spare for device {device.Serial} ('{Cli.OperatorCommands.Program} spares list')")
                {
                    Type = NoReadySpareType,
                };
            }

            var swap = new SpareStore.SwapRow
            {
                Id = "swap-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5)),
                DeviceId = device.Id,
                DeviceSerial = device.Serial,
                Model = device.Model,
                Reason = reason.Trim(),
                Wipe = wipe ? 1 : 0,
                ProposedSpareId = best.DeviceId,
                ProposedSerial = best.Serial,
                State = nameof(SwapState.Proposed),
                CreatedAt = now.ToUnixTimeMilliseconds(),
                CreatedBy = actor,
                ExpiresAt = (now + options.Value.ProposalLifetime).ToUnixTimeMilliseconds(),
            };
            SpareStore.InsertSwap(unit.Db, swap);
            return swap.ToView();
        });
    }

    public Task<Outcome<SwapView>> ConfirmAsync(string swapId, string spareSerial, string actor, DateTimeOffset now) =>
        storage.WriteAsync<Outcome<SwapView>>(unit =>
        {
            if (SpareStore.Swap(unit.Db, swapId) is not { } swap)
                return new Refusal(RefusalKind.NotFound, "Unknown swap", $"no swap {swapId} at this site");
            if (swap.SwapState == SwapState.Proposed && swap.ExpiresAt <= now.ToUnixTimeMilliseconds())
            {
                SpareStore.Close(unit.Db, swap.Id, SwapState.Expired, null, null, "appliance", now);
                return new Refusal(RefusalKind.Conflict, "Swap expired", $"swap {swap.Id} expired unconfirmed; start a new one");
            }

            if (swap.SwapState != SwapState.Proposed)
                return new Refusal(RefusalKind.Conflict, "Swap closed", $"swap {swap.Id} is {swap.State}");
            if (devices.Find(unit, swap.DeviceId) is not { } broken)
                return new Refusal(RefusalKind.NotFound, "Unknown device", $"the swap's device {swap.DeviceSerial} is gone");
            if (broken.State != DeviceState.Active)
                return new Refusal(RefusalKind.Conflict, "Device not active", $"device {broken.Serial} is {broken.State} now: cancel swap {swap.Id}");
            if (devices.Find(unit, spareSerial) is not { } spare)
                return new Refusal(RefusalKind.NotFound, "Unknown device", $"no device {spareSerial} at this site");
            if (SpareRefusal(unit, broken, spare) is { } refusal)
                return refusal;
            Apply(unit, swap, broken, spare, actor, now);
            return SpareStore.Swap(unit.Db, swap.Id)!.ToView();
        });

    /// <summary>Why the scanned device cannot be the spare: it is the broken one, in no pool of the model, or not Ready.</summary>
    private Refusal? SpareRefusal(UnitOfWork unit, DeviceRecord broken, DeviceRecord spare)
    {
        string? why = null;
        if (string.Equals(spare.Id, broken.Id, StringComparison.Ordinal))
            why = $"{spare.Serial} is the device being swapped out";
        else if (!string.Equals(SpareStore.PoolOf(unit.Db, spare.Id), broken.Model, StringComparison.Ordinal))
            why = $"{spare.Serial} is not a spare of the {broken.Model} pool";
        else if (pools.Member(spare) is { State: not SpareState.Ready } member)
            why = $"{spare.Serial} is {member.State}" + (member.State == SpareState.Charging ? $" ({(member.ChargePercent is { } c ? c + " %" : "charge unknown")})" : "");
        return why is null ? null : new Refusal(RefusalKind.Conflict, "Spare not ready", why + ": nothing was changed") { Type = SpareNotReadyType };
    }

    /// <summary>Every step of a confirmed swap, in the caller's unit; the order is the one fault tests step through.</summary>
    private void Apply(UnitOfWork unit, SpareStore.SwapRow swap, DeviceRecord broken, DeviceRecord spare, string actor, DateTimeOffset now)
    {
        var why = $"swap {swap.Id}: {swap.Reason}";
        devices.Reassign(unit, spare.Id, broken.Group, broken.Assignment, actor, why, swap.Id, now);
        devices.Reassign(unit, broken.Id, broken.Group, null, actor, why, swap.Id, now);
        devices.Transition(unit, broken.Id, DeviceState.Active, DeviceState.Quarantined, actor, swap.Reason, now);
        allowances.Close(unit, broken.Id, "revoked", $"{actor} swapped the device out", now);
        if (swap.Wipe != 0)
            commands.Queue(unit, broken.Id, WipeCommand, NoParameters, null, actor, now);
        custody.Append(unit, new CustodyHandOff(broken.Id, CustodySubjectKind.Device, From: "site", To: "repair", Actor: actor, Note: swap.Reason), now);
        if (!SpareStore.Close(unit.Db, swap.Id, SwapState.Confirmed, spare.Id, spare.Serial, actor, now))
            throw new InvalidOperationException($"swap {swap.Id} was closed meanwhile");
        audit.Record(unit, new AuditEntry(actor, AuditActions.Swap, broken.Id, Detail: $"swap {swap.Id}: spare {spare.Id} ({spare.Serial}) takes over; wipe {(swap.Wipe != 0 ? "yes" : "no")}; {swap.Reason}"), now);
        pools.EvaluateAlerts(unit, now);
    }

    public Task<Outcome<SwapView>> CancelAsync(string swapId, string actor, DateTimeOffset now) =>
        storage.WriteAsync<Outcome<SwapView>>(unit =>
        {
            if (SpareStore.Swap(unit.Db, swapId) is not { } swap)
                return new Refusal(RefusalKind.NotFound, "Unknown swap", $"no swap {swapId} at this site");
            if (!SpareStore.Close(unit.Db, swap.Id, SwapState.Cancelled, null, null, actor, now))
                return new Refusal(RefusalKind.Conflict, "Swap closed", $"swap {swap.Id} is {swap.State}");
            return SpareStore.Swap(unit.Db, swap.Id)!.ToView();
        });

    public IReadOnlyList<SwapView> List() => storage.Read(db => SpareStore.Swaps(db)).Select(s => s.ToView()).ToList();

    public SwapView? Find(string swapId) => storage.Read(db => SpareStore.Swap(db, swapId))?.ToView();

    public async Task<IReadOnlyList<SwapView>> ExpireAsync(DateTimeOffset now)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        if (!storage.Read(db => SpareStore.OpenSwaps(db)).Exists(s => s.ExpiresAt <= nowMs))
            return [];
        return await storage.WriteAsync<IReadOnlyList<SwapView>>(unit => SpareStore.OpenSwaps(unit.Db)
            .Where(s => s.ExpiresAt <= nowMs && SpareStore.Close(unit.Db, s.Id, SwapState.Expired, null, null, "appliance", now))
            .Select(s => SpareStore.Swap(unit.Db, s.Id)!.ToView())
            .ToList());
    }
}
