using System.Security.Cryptography;
using System.Text.Json;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.SiteTls;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using EdgeMdm.Edge.Wakes;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Edge.Commands;

public sealed record CommandSummary(
    string CommandId,
    string DeviceId,
    string Type,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? DeliveredAt,
    string? ResultMessage);

public sealed record CommandOutcomeReport(bool Succeeded, string? Message, DateTimeOffset? FinishedAt);

public sealed record CommandRecorded(string CommandId, string Status, bool AlreadyRecorded);

/// <summary>The operator's side of commands (<c>edgemdm-edge commands</c>).</summary>
public interface ICommandStore
{
    Task<Outcome<CommandSummary>> QueueCommandAsync(string deviceIdOrSerial, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now);

    /// <summary>One command for every device of <paramref name="group"/> that takes it, in one transaction; empty when there is none.</summary>
    Task<IReadOnlyList<CommandSummary>> QueueGroupCommandAsync(string group, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now);

    IReadOnlyList<CommandSummary> ListCommands(string? deviceIdOrSerial);
}

/// <summary>Queuing inside another feature's writer unit (a swap's wipe), so the command commits or rolls back with it.</summary>
public interface ICommandEnqueuer
{
    /// <summary>
    /// Queues the command for <paramref name="deviceId"/> (an id the caller found in the same unit), with its outbox row and
    /// the device's wake. Whether the device takes the type in its state is the caller's to know (<c>DeviceAccess.TakesCommand</c>).
    /// </summary>
    CommandSummary Queue(UnitOfWork unit, string deviceId, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now);
}

/// <summary>The device's side: commands handed out at check-in and their results.</summary>
public interface IDeviceCommands
{
    /// <summary>
    /// Commands still to be carried out, oldest first, in the check-in's unit. A command is delivered again on every
    /// check-in until its result arrives (the answer may have been lost on the Wi-Fi); one past its expiry is never
    /// delivered and is closed as expired. A command the device does not take in <paramref name="state"/> (a reboot
    /// while quarantined) is held back, still open, until it does.
    /// </summary>
    IReadOnlyList<DeviceCommand> TakeOpen(UnitOfWork unit, string deviceId, DeviceState state, DateTimeOffset now);

    Task<Outcome<CommandRecorded>> RecordResultAsync(string secretHash, string commandId, CommandOutcomeReport report, DateTimeOffset now);
}

/// <summary>Commands to devices (table <c>commands</c>): queued by the operator or the hub, delivered at check-in, closed by their results.</summary>
internal sealed class CommandStore(
    EdgeStorage storage, IDeviceRegistry devices, IDeviceQueries deviceReads, IWakeRequests wakes, IAuditLog audit, SiteSigner signer, ILogger<CommandStore> logger) : ICommandStore, ICommandEnqueuer, IDeviceCommands, IFeedHandler
{
    public IReadOnlyCollection<HubChange.ChangeOneofCase> Kinds { get; } = [HubChange.ChangeOneofCase.CommandQueued];

    public Task<Outcome<CommandSummary>> QueueCommandAsync(
        string deviceIdOrSerial, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now) =>
        storage.WriteAsync<Outcome<CommandSummary>>(unit =>
        {
            if (devices.Find(unit, deviceIdOrSerial) is not { } device)
                return new Refusal(RefusalKind.NotFound, "Unknown device", $"no device {deviceIdOrSerial} at this site");
            if (!DeviceAccess.TakesCommand(device.State, type))
                return NotTaken(device.Serial, device.State, type);
            return Insert(unit, device.Id, type, parameters, expiresAt, actor, now);
        });

    /// <summary>Why a device in this state takes no command of this type (<see cref="DeviceAccess.TakesCommand"/>).</summary>
    private static Refusal NotTaken(string serial, DeviceState state, string type) => state == DeviceState.Quarantined
        ? new Refusal(RefusalKind.Conflict, "Device quarantined", $"device {serial} is quarantined and takes only {QuarantineCommands} until it leaves quarantine, not {type}")
        : new Refusal(RefusalKind.Conflict, "Device retired", $"device {serial} is retired and takes no commands");

    private static string QuarantineCommands => string.Join(", ", DeviceAccess.QuarantineCommands);

    /// <summary>Group commands skip the devices that do not take the type (a quarantined device, for most).</summary>
    public Task<IReadOnlyList<CommandSummary>> QueueGroupCommandAsync(
        string group, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now) =>
        storage.WriteAsync<IReadOnlyList<CommandSummary>>(unit => devices.InGroup(unit, group)
            .Where(member => DeviceAccess.TakesCommand(member.State, type))
            .Select(member => Insert(unit, member.DeviceId, type, parameters, expiresAt, actor, now))
            .ToList());

    public CommandSummary Queue(
        UnitOfWork unit, string deviceId, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now) =>
        Insert(unit, deviceId, type, parameters, expiresAt, actor, now);

    /// <summary>Queues a command, its outbox row and the device's wake, in the caller's writer unit.</summary>
    private CommandSummary Insert(
        UnitOfWork unit, string deviceId, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now)
    {
        var id = "cmd-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        unit.Db.Execute(
            "INSERT INTO commands (id, device_id, type, parameters, status, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)",
            id, deviceId, type, JsonSerializer.Serialize(parameters.ToDictionary(StringComparer.Ordinal), CommandsJson.Default.DictionaryStringString),
            now.ToUnixTimeMilliseconds(), actor, expiresAt?.ToUnixTimeMilliseconds());
        var queued = new CommandQueuedAtSite { CommandId = id, Type = type, ExpiresUnixMs = expiresAt?.ToUnixTimeMilliseconds() ?? 0, CreatedBy = actor };
        foreach (var (name, value) in parameters)
            queued.Parameters[name] = value;
        Outbox.Append(unit, new SiteChange { AtUnixMs = now.ToUnixTimeMilliseconds(), DeviceId = deviceId, CommandQueued = queued });
        wakes.Queue(unit, deviceId, WakeReasons.Command, now);
        // The reason a person gave (a parameter, as the device and the hub see it) goes into the trail with the command.
        var why = parameters.TryGetValue("reason", out var reason) ? ": " + reason : "";
        audit.Record(unit, new AuditEntry(actor, AuditActions.CommandQueued, deviceId, Detail: $"{type} {id}{why}"), now);
        CommandLog.CommandQueued(logger, id, type, deviceId, actor);
        return new CommandSummary(id, deviceId, type, "queued", now, expiresAt, null, null);
    }

    public IReadOnlyList<CommandSummary> ListCommands(string? deviceIdOrSerial)
    {
        if (deviceIdOrSerial is null)
            return storage.Read(db => db.Query<CommandRow>(CommandRow.Select + " ORDER BY created_at")).Select(c => c.ToSummary()).ToList();
        // The device by id or serial is the devices feature's to find; the commands are ours.
        if (deviceReads.Find(deviceIdOrSerial) is not { } device)
            return [];
        return storage.Read(db => db.Query<CommandRow>(CommandRow.Select + " WHERE device_id = ? ORDER BY created_at", device.Id)).Select(c => c.ToSummary()).ToList();
    }

    public IReadOnlyList<DeviceCommand> TakeOpen(UnitOfWork unit, string deviceId, DeviceState state, DateTimeOffset now)
    {
        var db = unit.Db;
        var open = new List<CommandRow>();
        var select = db.Prepared(CommandRow.Select + " WHERE device_id = ? AND status IN ('queued', 'delivered') ORDER BY created_at").Bind(1, deviceId);
        while (select.Step())
            open.Add(CommandRow.Read(select));
        select.Reset();
        var deliver = new List<DeviceCommand>(open.Count);
        var nowMs = now.ToUnixTimeMilliseconds();
        foreach (var command in open)
        {
            if (command.ExpiresAt is { } expires && expires <= nowMs)
            {
                db.Prepared("UPDATE commands SET status = 'expired', completed_at = ?1 WHERE id = ?2").Bind(1, nowMs).Bind(2, command.Id).Execute();
                AppendResult(unit, deviceId, command.Id, "expired", null, nowMs, nowMs);
                continue;
            }

            if (!DeviceAccess.TakesCommand(state, command.Type))
                continue;

            if (string.Equals(command.Status, "queued", StringComparison.Ordinal))
            {
                db.Prepared("UPDATE commands SET status = 'delivered', delivered_at = ?1 WHERE id = ?2").Bind(1, nowMs).Bind(2, command.Id).Execute();
                AppendResult(unit, deviceId, command.Id, "delivered", null, nowMs, nowMs);
                CommandLog.CommandSent(logger, command.Id, command.Type, deviceId);
            }

            var parameters = JsonSerializer.Deserialize(command.Parameters, CommandsJson.Default.DictionaryStringString) ?? [];
            // Signed for this device as it leaves the site: the agent carries out only what the site key signed for it.
            var unsigned = new DeviceCommand(command.Id, command.Type, parameters, command.ExpiresAt is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null);
            deliver.Add(CommandSignature.Sign(unsigned, deviceId, command.IssuedBy, command.Origin, signer.Key));
        }

        return deliver;
    }

    public Task<Outcome<CommandRecorded>> RecordResultAsync(string secretHash, string commandId, CommandOutcomeReport report, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        return storage.WriteAsync<Outcome<CommandRecorded>>(unit =>
        {
            if (devices.BySecret(unit, secretHash) is not { } device)
                return DeviceRefusals.UnknownSecret;
            var command = unit.Db.Query<CommandRow>(CommandRow.Select + " WHERE id = ?", commandId).FirstOrDefault();
            // Another device's command answers as one that does not exist: a device learns nothing of the site's other commands.
            if (command is null || !string.Equals(command.DeviceId, device.Id, StringComparison.Ordinal))
                return new Refusal(RefusalKind.NotFound, "Unknown command", $"no command {commandId} for this device");

            var status = report.Succeeded ? "succeeded" : "failed";
            switch (command.Status)
            {
                case "succeeded" or "failed" when string.Equals(command.Status, status, StringComparison.Ordinal):
                    return new CommandRecorded(commandId, status, AlreadyRecorded: true);
                case "succeeded" or "failed" or "expired":
                    return new Refusal(RefusalKind.Conflict, "Command already closed", $"command {commandId} is already {command.Status}");
            }

            var finishedMs = (report.FinishedAt ?? now).ToUnixTimeMilliseconds();
            unit.Db.Execute(
                "UPDATE commands SET status = ?, result_message = ?, result_at = ?, completed_at = ? WHERE id = ?",
                status, report.Message, finishedMs, now.ToUnixTimeMilliseconds(), commandId);
            AppendResult(unit, device.Id, commandId, status, report.Message, finishedMs, now.ToUnixTimeMilliseconds());
            return new CommandRecorded(commandId, status, AlreadyRecorded: false);
        });
    }

    /// <summary>
    /// Queues a hub command once (by id). One for a device that is not here, or does not take it (retired, or
    /// quarantined and not a lock, wipe or ring: refused as the site's operator would be), is not stored: its
    /// failure goes up the outbox so central IT sees why it will never run.
    /// </summary>
    public bool Apply(UnitOfWork unit, HubChange change)
    {
        var command = change.CommandQueued;
        var atMs = change.AtUnixMs;
        var device = devices.Find(unit, command.DeviceId);
        if (device is null || !string.Equals(device.Id, command.DeviceId, StringComparison.Ordinal) || !DeviceAccess.TakesCommand(device.State, command.Type))
        {
            var why = device is null || !string.Equals(device.Id, command.DeviceId, StringComparison.Ordinal) ? "device not at this site"
                : device.State == DeviceState.Quarantined ? $"device quarantined: it takes only {QuarantineCommands} until it leaves quarantine"
                : "device retired";
            AppendResult(unit, command.DeviceId, command.CommandId, "failed", why, atMs, atMs);
            CommandLog.HubCommandRefused(logger, command.CommandId, command.Type, command.DeviceId, why);
            return false;
        }

        var parameters = command.Parameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var inserted = unit.Db.Execute(
            """
            INSERT INTO commands (id, device_id, type, parameters, status, created_at, created_by, expires_at, origin)
            VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, 'hub')
            ON CONFLICT (id) DO NOTHING
            """,
            command.CommandId, command.DeviceId, command.Type, JsonSerializer.Serialize(parameters, CommandsJson.Default.DictionaryStringString),
            atMs, command.CreatedBy, command.ExpiresUnixMs == 0 ? null : command.ExpiresUnixMs);
        if (inserted == 1)
        {
            wakes.Queue(unit, command.DeviceId, WakeReasons.Command, DateTimeOffset.FromUnixTimeMilliseconds(atMs));
            CommandLog.HubCommandQueued(logger, command.CommandId, command.Type, command.DeviceId, command.CreatedBy);
        }

        return inserted == 1;
    }

    /// <summary>status: delivered | succeeded | failed | expired.</summary>
    internal static void AppendResult(UnitOfWork unit, string deviceId, string commandId, string status, string? message, long finishedMs, long atMs) =>
        Outbox.Append(unit, new SiteChange
        {
            AtUnixMs = atMs,
            DeviceId = deviceId,
            CommandResult = new CommandResultReported { CommandId = commandId, Status = status, Message = message ?? "", FinishedUnixMs = finishedMs },
        });
}
