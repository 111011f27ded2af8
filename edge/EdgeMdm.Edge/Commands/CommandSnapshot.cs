using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;

namespace EdgeMdm.Edge.Commands;

/// <summary>Every command the site knows, queued and, once it has one, with its outcome, for a hub that lost what it had acknowledged.</summary>
internal sealed class CommandSnapshot : ISiteSnapshot
{
    public int SnapshotOrder => 1;

    public void AppendSnapshot(UnitOfWork unit, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var commands = unit.Db.Query<CommandRow>(
            """
            SELECT id AS Id, device_id AS DeviceId, type AS Type, parameters AS Parameters, status AS Status, created_at AS CreatedAt,
                   created_by AS CreatedBy, expires_at AS ExpiresAt, result_message AS ResultMessage,
                   coalesce(result_at, completed_at, delivered_at, created_at) AS FinishedAt
            FROM commands ORDER BY created_at, id
            """);
        foreach (var command in commands)
        {
            var queued = new CommandQueuedAtSite { CommandId = command.Id, Type = command.Type, ExpiresUnixMs = command.ExpiresAt ?? 0, CreatedBy = command.CreatedBy };
            foreach (var (name, value) in JsonSerializer.Deserialize(command.Parameters, CommandsJson.Default.DictionaryStringString) ?? [])
                queued.Parameters[name] = value;
            Outbox.Append(unit, new SiteChange { AtUnixMs = command.CreatedAt, DeviceId = command.DeviceId, CommandQueued = queued });
            if (!string.Equals(command.Status, "queued", StringComparison.Ordinal))
                CommandStore.AppendResult(unit, command.DeviceId, command.Id, command.Status, command.ResultMessage, command.FinishedAt, now.ToUnixTimeMilliseconds());
        }
    }
}
