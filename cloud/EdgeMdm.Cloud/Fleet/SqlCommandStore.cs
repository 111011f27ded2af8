using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Fleet;

internal sealed class SqlCommandStore(IHubDatabase db, TimeProvider time, ISiteDirectory sites, IFeedWriter feed) : ICommandStore
{
    private const string Columns =
        "c.command_id, c.site_id, c.device_id, c.type, c.status, c.message, c.created_by, c.expires_at, c.finished_at, c.reason, c.created_at";

    public async Task<string> QueueCommandAsync(
        string tenantId, string siteId, string deviceId, string type, IReadOnlyDictionary<string, string> parameters,
        DateTimeOffset? expiresAt, string createdBy, string reason = "", CancellationToken cancellationToken = default) =>
        (await QueueCommandsAsync(tenantId, [new CommandTarget(siteId, deviceId)], type, parameters, expiresAt, createdBy, reason, cancellationToken))[0];

    public async Task<IReadOnlyList<string>> QueueCommandsAsync(
        string tenantId, IReadOnlyList<CommandTarget> targets, string type, IReadOnlyDictionary<string, string> parameters,
        DateTimeOffset? expiresAt, string createdBy, string reason = "", CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        var ids = await QueueInAsync(s, tenantId, targets, type, parameters, expiresAt, createdBy, reason);
        await s.CommitAsync();
        return ids;
    }

    /// <summary>
    /// Queues the command for each target in <paramref name="s"/>, the caller's transaction (an approval queues its
    /// commands in the one that marks it approved), and returns the ids in the order of <paramref name="targets"/>.
    /// </summary>
    internal async Task<IReadOnlyList<string>> QueueInAsync(
        HubSession s, string tenantId, IReadOnlyList<CommandTarget> targets, string type, IReadOnlyDictionary<string, string> parameters,
        DateTimeOffset? expiresAt, string createdBy, string reason)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(parameters);
        var sorted = CanonicalHash.Sorted(parameters);
        var parametersJson = JsonSerializer.Serialize(sorted, CloudJson.Default.SortedDictionaryStringString);
        var ids = targets.Select(_ => Guid.CreateVersion7(time.GetUtcNow()).ToString("N")).ToList();
        foreach (var siteId in targets.Select(t => t.SiteId).Distinct(StringComparer.Ordinal))
            await sites.RequireSiteAsync(s, tenantId, siteId);

        // Sites in id order, as everywhere: two group sends racing on two replicas never deadlock.
        foreach (var i in Enumerable.Range(0, targets.Count).OrderBy(i => targets[i].SiteId, StringComparer.Ordinal).ThenBy(i => i))
        {
            var (siteId, deviceId) = (targets[i].SiteId, targets[i].DeviceId);
            var queued = new Contracts.Sync.CommandQueued
            {
                CommandId = ids[i], DeviceId = deviceId, Type = type,
                ExpiresUnixMs = expiresAt?.ToUnixTimeMilliseconds() ?? 0, CreatedBy = createdBy,
            };
            queued.Parameters.Add(sorted);
            await feed.AppendAsync(s, siteId, new HubChange { CommandQueued = queued }); // first: the site row lock, as everywhere
            await s.ExecuteAsync(
                """
                INSERT INTO commands (command_id, site_id, device_id, type, parameters_json, status, created_by, created_at, expires_at, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                ids[i], siteId, deviceId, type, parametersJson, CommandStatuses.Queued, createdBy, time.GetUtcNow().ToUnixTimeMilliseconds(),
                expiresAt?.ToUnixTimeMilliseconds(), reason ?? "");
        }

        return ids;
    }

    public async Task<CommandRecord?> CommandStatusAsync(string tenantId, string commandId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);

        // A command carries only its site's id: the join with sites scopes it to the tenant in one query.
        var r = await s.SingleOrDefaultAsync(
            $"""
             SELECT {Columns}
             FROM commands c JOIN sites s ON s.site_id = c.site_id
             WHERE c.command_id = ? AND s.tenant_id = ?
             """,
            commandId, tenantId);
        return r is null ? null : Record(r);
    }

    public async Task<CommandList> ListCommandsAsync(string tenantId, CommandQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        const string Matching =
            """
            FROM commands c JOIN sites s ON s.site_id = c.site_id
            WHERE s.tenant_id = ? AND (? = '' OR c.site_id = ?) AND (? = '' OR c.device_id = ?) AND (? = '' OR c.status = ?)
            """;
        object?[] args = [tenantId, query.SiteId ?? "", query.SiteId ?? "", query.DeviceId ?? "", query.DeviceId ?? "", query.Status ?? "", query.Status ?? ""];
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var total = await s.SingleOrDefaultAsync("SELECT COUNT(*) " + Matching, args);
        var rows = await s.QueryAsync(
            $"SELECT {Columns} {Matching} ORDER BY c.created_at DESC, c.command_id DESC LIMIT ?", [.. args, (long)Math.Max(0, query.Limit)]);
        return new CommandList(rows.Select(Record).ToList(), (int)(total?.Long(0) ?? 0));
    }

    private static CommandRecord Record(Row r) => new(
        r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.NullableTime(7), r.NullableTime(8))
    {
        Reason = r.Text(9),
        CreatedAt = r.NullableTime(10),
    };
}
