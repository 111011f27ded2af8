using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using Google.Protobuf;

namespace EdgeMdm.Cloud.Storage;

/// <summary>
/// The hub's store, written once over <see cref="IHubDatabase"/> for both backends. Each method is one
/// transaction; what must not race is serialised by row locks (the site's row for its log and feed, the
/// catalog row for writes fanned out to every site) and unique keys, never by memory, so hub replicas
/// sharing a PostgreSQL database stay correct. Locks are always taken catalog first, then sites in id order.
/// </summary>
public sealed partial class SqlHubStore : IHubStore, IAsyncDisposable
{
    private readonly IHubDatabase _db;
    private readonly TimeProvider _time;

    internal SqlHubStore(IHubDatabase db, TimeProvider time)
    {
        _db = db;
        _time = time;
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- tenants ---------------------------------------------------------------------------------------

    public async Task<TenantRecord> AddTenantAsync(string name, CancellationToken cancellationToken = default)
    {
        var tenantId = IdFrom(name);
        var now = NowMs;
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM tenants WHERE tenant_id = ?", tenantId) is not null)
            throw new StoreConflictException($"a tenant with id '{tenantId}' exists");
        await s.ExecuteAsync("INSERT INTO tenants (tenant_id, name, created_at) VALUES (?, ?, ?)", tenantId, name, now);
        await s.CommitAsync();
        return new TenantRecord(tenantId, name, DateTimeOffset.FromUnixTimeMilliseconds(now));
    }

    public async Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync("SELECT tenant_id, name, created_at FROM tenants ORDER BY tenant_id");
        return rows.Select(r => new TenantRecord(r.Text(0), r.Text(1), DateTimeOffset.FromUnixTimeMilliseconds(r.Long(2)))).ToList();
    }

    // ---- sites -----------------------------------------------------------------------------------------

    public async Task<NewSite> AddSiteAsync(string tenantId, string name, CancellationToken cancellationToken = default)
    {
        // Outside the default tenant the id carries the tenant's: a dot never occurs in a slug, so two tenants'
        // ids cannot collide and a refused name can only be one of the caller's own.
        var slug = IdFrom(name);
        var siteId = string.Equals(tenantId, TenantIds.Default, StringComparison.Ordinal) ? slug : tenantId + "." + slug;
        var credential = NewSecret();
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        await LockCatalogAsync(s);
        await RequireTenantAsync(s, tenantId);
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM sites WHERE site_id = ?", siteId) is not null)
            throw new StoreConflictException($"a site with id '{siteId}' exists");
        await s.ExecuteAsync(
            "INSERT INTO sites (site_id, tenant_id, name, credential_hash, created_at) VALUES (?, ?, ?, ?, ?)",
            siteId, tenantId, name, CanonicalHash.Sha256Hex(credential), NowMs);

        // A new site starts from its tenant's current catalog, like a site that was there all along: the key
        // first (so every manifest after it can be checked), the packages, then the blueprints that name them.
        await AppendSigningKeyAndPackagesAsync(s, siteId, tenantId);
        foreach (var row in await s.QueryAsync("SELECT group_name, blueprint_json FROM blueprints WHERE tenant_id = ? ORDER BY group_name", tenantId))
            await AppendAsync(s, siteId, new HubChange { BlueprintUpserted = new() { Group = row.Text(0), BlueprintJson = row.Text(1) } });
        await s.CommitAsync();
        return new NewSite(siteId, credential);
    }

    public async Task<bool> SiteExistsAsync(string tenantId, string siteId, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        return await s.SingleOrDefaultAsync("SELECT 1 FROM sites WHERE site_id = ? AND tenant_id = ?", siteId, tenantId) is not null;
    }

    public async Task<IReadOnlyList<SiteSummary>> ListSitesAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(
            """
            SELECT site_id, name, last_sync_at, applied_through, feed_head,
                   uplink_state, outbox_depth, outbox_head, oldest_pending_at, site_last_sync_at, reported_at
            FROM sites WHERE tenant_id = ? ORDER BY site_id
            """,
            tenantId);
        return rows.Select(r => new SiteSummary(r.Text(0), r.Text(1), Time(r.NullableLong(2)), r.ULong(3), r.ULong(4))
        {
            Report = r.NullableText(5) is { } uplink
                ? new SiteSyncReport(r.ULong(6), r.ULong(7), Time(r.NullableLong(8)), uplink, Time(r.NullableLong(9)))
                : null,
            ReportedAt = Time(r.NullableLong(10)),
        }).ToList();
    }

    public async Task<string?> AuthenticateSiteAsync(string credential, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(credential))
            return null;
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var row = await s.SingleOrDefaultAsync("SELECT site_id FROM sites WHERE credential_hash = ?", CanonicalHash.Sha256Hex(credential));
        return row?.Text(0);
    }

    // ---- upstream --------------------------------------------------------------------------------------

    public async Task<ulong> ApplyUpstreamAsync(string siteId, IReadOnlyList<SiteChange> changes, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        await using var s = await _db.BeginAsync(write: true, cancellationToken);

        // The site's row lock makes concurrent deliveries of the same batch (two replicas, a retried stream)
        // apply one after the other; the second sees the first's applied_through and skips everything.
        var site = await s.SingleOrDefaultAsync("SELECT applied_through FROM sites WHERE site_id = ?" + _db.ForUpdate, siteId)
            ?? throw new StoreConflictException($"unknown site '{siteId}'");
        var applied = site.ULong(0);
        foreach (var change in changes.OrderBy(c => c.Sequence))
        {
            if (change.Sequence <= applied)
                continue; // already held: a duplicate or a replay
            if (change.Sequence != applied + 1)
                break; // a gap: wait for the missing change, never apply past it
            await ApplyChangeAsync(s, siteId, change);
            applied = change.Sequence;
        }

        await s.ExecuteAsync("UPDATE sites SET applied_through = ?, last_sync_at = ? WHERE site_id = ?", applied, now.ToUnixTimeMilliseconds(), siteId);
        await s.CommitAsync();
        return applied;
    }

    private static Task ApplyChangeAsync(HubSession s, string siteId, SiteChange change) => change.ChangeCase switch
    {
        SiteChange.ChangeOneofCase.Enrolled => s.ExecuteAsync(
            """
            INSERT INTO devices (site_id, device_id, serial, model, manufacturer, os_version, agent_version, group_name)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (site_id, device_id) DO UPDATE SET serial = excluded.serial, model = excluded.model,
                manufacturer = excluded.manufacturer, os_version = excluded.os_version,
                agent_version = excluded.agent_version, group_name = excluded.group_name
            """,
            siteId, change.DeviceId, change.Enrolled.Serial, change.Enrolled.Model, change.Enrolled.Manufacturer,
            change.Enrolled.OsVersion, change.Enrolled.AgentVersion, change.Enrolled.Group),
        SiteChange.ChangeOneofCase.Status => s.ExecuteAsync(
            """
            INSERT INTO devices (site_id, device_id, status_json, compliant, findings_json, finding_count, declarations_token, last_checkin)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (site_id, device_id) DO UPDATE SET status_json = excluded.status_json, compliant = excluded.compliant,
                findings_json = excluded.findings_json, finding_count = excluded.finding_count,
                declarations_token = excluded.declarations_token, last_checkin = excluded.last_checkin
            """,
            siteId, change.DeviceId, change.Status.StatusJson, change.Status.Compliant, FindingsJson(change.Status),
            change.Status.Findings.Count, change.Status.DeclarationsToken, change.Status.LastCheckinUnixMs),
        SiteChange.ChangeOneofCase.Transitioned => ApplyTransitionAsync(s, siteId, change),
        SiteChange.ChangeOneofCase.CommandResult => ApplyCommandResultAsync(s, siteId, change.CommandResult),
        SiteChange.ChangeOneofCase.CommandQueued => ApplyCommandQueuedAtSiteAsync(s, siteId, change),
        // A kind this hub does not know yet (a newer appliance) still advances the log: skipping it is the
        // only choice that does not stall the site forever.
        _ => Task.CompletedTask,
    };

    private static async Task ApplyTransitionAsync(HubSession s, string siteId, SiteChange change)
    {
        var t = change.Transitioned;
        await s.ExecuteAsync(
            "INSERT INTO transitions (site_id, sequence, device_id, from_state, to_state, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            siteId, change.Sequence, change.DeviceId, t.FromState, t.ToState, t.Actor, t.Reason, change.AtUnixMs);
        await s.ExecuteAsync(
            "INSERT INTO devices (site_id, device_id, state) VALUES (?, ?, ?) ON CONFLICT (site_id, device_id) DO UPDATE SET state = excluded.state",
            siteId, change.DeviceId, t.ToState);
    }

    /// <summary>
    /// Records a command a site operator queued, once (by id; an id the hub already holds, its own or another
    /// site's, is left alone). Its results follow it in the site's log and move it on as for the hub's own.
    /// </summary>
    private static async Task ApplyCommandQueuedAtSiteAsync(HubSession s, string siteId, SiteChange change)
    {
        var queued = change.CommandQueued;
        var parameters = JsonSerializer.Serialize(CanonicalHash.Sorted(queued.Parameters), CloudJson.Default.SortedDictionaryStringString);
        await s.ExecuteAsync(
            """
            INSERT INTO commands (command_id, site_id, device_id, type, parameters_json, status, created_by, created_at, expires_at, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (command_id) DO NOTHING
            """,
            queued.CommandId, siteId, change.DeviceId, queued.Type, parameters, CommandStatuses.Queued,
            queued.CreatedBy, change.AtUnixMs, queued.ExpiresUnixMs == 0 ? null : queued.ExpiresUnixMs, "queued at the site");
    }

    /// <summary>
    /// Moves a command forward only: queued → delivered → succeeded | failed | expired. A final status is
    /// never replaced, and a late "delivered" never undoes a result. Only the command's own site may report.
    /// </summary>
    private static Task ApplyCommandResultAsync(HubSession s, string siteId, CommandResultReported result) => result.Status switch
    {
        CommandStatuses.Delivered => s.ExecuteAsync(
            "UPDATE commands SET status = ? WHERE command_id = ? AND site_id = ? AND status = ?",
            CommandStatuses.Delivered, result.CommandId, siteId, CommandStatuses.Queued),
        CommandStatuses.Succeeded or CommandStatuses.Failed or CommandStatuses.Expired => s.ExecuteAsync(
            "UPDATE commands SET status = ?, message = ?, finished_at = ? WHERE command_id = ? AND site_id = ? AND status IN (?, ?)",
            result.Status, result.Message, result.FinishedUnixMs, result.CommandId, siteId, CommandStatuses.Queued, CommandStatuses.Delivered),
        _ => Task.CompletedTask,
    };

    public async Task<ulong> AppliedThroughAsync(string siteId, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        return (await s.SingleOrDefaultAsync("SELECT applied_through FROM sites WHERE site_id = ?", siteId))?.ULong(0) ?? 0;
    }

    public async Task RecordHelloAsync(string siteId, SiteSyncReport? report, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        var nowMs = now.ToUnixTimeMilliseconds();
        var updated = report is null
            ? await s.ExecuteAsync("UPDATE sites SET last_sync_at = ? WHERE site_id = ?", nowMs, siteId)
            : await s.ExecuteAsync(
                """
                UPDATE sites SET last_sync_at = ?, reported_at = ?, uplink_state = ?, outbox_depth = ?, outbox_head = ?,
                    oldest_pending_at = ?, site_last_sync_at = ?
                WHERE site_id = ?
                """,
                nowMs, nowMs, report.UplinkState, (long)report.OutboxDepth, (long)report.OutboxHead,
                report.OldestPendingAt?.ToUnixTimeMilliseconds(), report.SiteLastSyncAt?.ToUnixTimeMilliseconds(), siteId);
        if (updated == 0)
            throw new StoreConflictException($"unknown site '{siteId}'");
        await s.CommitAsync();
    }

    // ---- feed ------------------------------------------------------------------------------------------

    public async Task<ulong> AppendToFeedAsync(string siteId, HubChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        var position = await AppendAsync(s, siteId, change);
        await s.CommitAsync();
        return position;
    }

    /// <summary>
    /// Numbers the change by incrementing the site's feed_head, which locks the site's row until commit: two
    /// appends for one site (from any replica) get consecutive positions, and a rolled-back one leaves no hole.
    /// </summary>
    private async Task<ulong> AppendAsync(HubSession s, string siteId, HubChange change)
    {
        var head = await s.SingleOrDefaultAsync("UPDATE sites SET feed_head = feed_head + 1 WHERE site_id = ? RETURNING feed_head", siteId)
            ?? throw new StoreConflictException($"unknown site '{siteId}'");
        var stored = change.Clone();
        stored.Position = head.ULong(0);
        if (stored.AtUnixMs == 0)
            stored.AtUnixMs = NowMs;
        await s.ExecuteAsync("INSERT INTO feed (site_id, position, at, change) VALUES (?, ?, ?, ?)", siteId, stored.Position, stored.AtUnixMs, stored.ToByteArray());
        return stored.Position;
    }

    public async Task<IReadOnlyList<HubChange>> ReadFeedAsync(string siteId, ulong afterPosition, int max, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(
            "SELECT change FROM feed WHERE site_id = ? AND position > ? ORDER BY position LIMIT ?", siteId, afterPosition, Math.Max(0, max));
        return rows.Select(r => HubChange.Parser.ParseFrom(r.Bytes(0))).ToList();
    }

    public async Task<ulong> FeedHeadAsync(string siteId, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        return (await s.SingleOrDefaultAsync("SELECT feed_head FROM sites WHERE site_id = ?", siteId))?.ULong(0) ?? 0;
    }

    // ---- catalog ---------------------------------------------------------------------------------------

    public async Task<bool> UpsertBlueprintAsync(string tenantId, Blueprint blueprint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blueprint);
        var normalized = blueprint with
        {
            Configurations = blueprint.Configurations.Select(c => c with { Values = CanonicalHash.Sorted(c.Values) }).ToList(),
        };
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        await LockCatalogAsync(s);
        var existing = await s.SingleOrDefaultAsync("SELECT blueprint_json FROM blueprints WHERE tenant_id = ? AND group_name = ?", tenantId, blueprint.Group);
        var held = existing is null ? null : BlueprintOf(existing.Text(0));
        var stored = WithRollouts(normalized, held);

        // The content hash covers what devices see and the rollout plans: if it is unchanged, feeding the
        // blueprint again would only make every site do work for nothing; a plan-only change is fed, because the
        // sites gate devices by the plan.
        if (held is not null && string.Equals(EffectiveContentHash(held), EffectiveContentHash(stored), StringComparison.Ordinal))
            return false;
        var json = JsonSerializer.Serialize(stored, CloudJson.Default.Blueprint);
        await s.ExecuteAsync(
            """
            INSERT INTO blueprints (tenant_id, group_name, blueprint_json, token, updated_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (tenant_id, group_name) DO UPDATE SET blueprint_json = excluded.blueprint_json, token = excluded.token, updated_at = excluded.updated_at
            """,
            tenantId, blueprint.Group, json, stored.ToDeclarations().Token, NowMs);
        await RecordRolloutsAsync(s, tenantId, stored, held);
        await AppendToTenantSitesAsync(s, tenantId, new HubChange { BlueprintUpserted = new() { Group = blueprint.Group, BlueprintJson = json } });
        await s.CommitAsync();
        return true;
    }

    public async Task<bool> DeleteBlueprintAsync(string tenantId, string group, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        await LockCatalogAsync(s);
        if (await s.ExecuteAsync("DELETE FROM blueprints WHERE tenant_id = ? AND group_name = ?", tenantId, group) == 0)
            return false;
        await SupersedeAsync(s, tenantId, group, packageName: null, NowMs);
        await AppendToTenantSitesAsync(s, tenantId, new HubChange { BlueprintDeleted = new() { Group = group } });
        await s.CommitAsync();
        return true;
    }

    public async Task<IReadOnlyList<Blueprint>> ListBlueprintsAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync("SELECT blueprint_json FROM blueprints WHERE tenant_id = ? ORDER BY group_name", tenantId);
        return rows.Select(r => BlueprintOf(r.Text(0))).ToList();
    }

    private static Blueprint BlueprintOf(string json) =>
        JsonSerializer.Deserialize(json, CloudJson.Default.Blueprint) ?? throw new InvalidDataException("a stored blueprint is null");

    public async Task<string> IssueTokenAsync(string tenantId, string siteId, string group, uint uses, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var token = NewSecret();
        var hash = CanonicalHash.Sha256Hex(token);
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        await RequireSiteAsync(s, tenantId, siteId);
        await AppendAsync(s, siteId, new HubChange
        {
            TokenIssued = new() { TokenHash = hash, TokenPrefix = token[..8], Group = group, Uses = uses, ExpiresUnixMs = expiresAt.ToUnixTimeMilliseconds() },
        });
        await s.ExecuteAsync(
            "INSERT INTO enrollment_tokens (token_hash, site_id, group_name, uses, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            hash, siteId, group, uses, expiresAt.ToUnixTimeMilliseconds(), NowMs);
        await s.CommitAsync();
        return token;
    }

    public async Task<string> QueueCommandAsync(
        string tenantId, string siteId, string deviceId, string type, IReadOnlyDictionary<string, string> parameters,
        DateTimeOffset? expiresAt, string createdBy, string reason = "", CancellationToken cancellationToken = default) =>
        (await QueueCommandsAsync(tenantId, [new CommandTarget(siteId, deviceId)], type, parameters, expiresAt, createdBy, reason, cancellationToken))[0];

    public async Task<IReadOnlyList<string>> QueueCommandsAsync(
        string tenantId, IReadOnlyList<CommandTarget> targets, string type, IReadOnlyDictionary<string, string> parameters,
        DateTimeOffset? expiresAt, string createdBy, string reason = "", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(parameters);
        var sorted = CanonicalHash.Sorted(parameters);
        var parametersJson = JsonSerializer.Serialize(sorted, CloudJson.Default.SortedDictionaryStringString);
        var ids = targets.Select(_ => Guid.CreateVersion7(_time.GetUtcNow()).ToString("N")).ToList();
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        foreach (var siteId in targets.Select(t => t.SiteId).Distinct(StringComparer.Ordinal))
            await RequireSiteAsync(s, tenantId, siteId);

        // Sites in id order, as everywhere: two group sends racing on two replicas never deadlock.
        foreach (var i in Enumerable.Range(0, targets.Count).OrderBy(i => targets[i].SiteId, StringComparer.Ordinal).ThenBy(i => i))
        {
            var (siteId, deviceId) = (targets[i].SiteId, targets[i].DeviceId);
            var queued = new CommandQueued
            {
                CommandId = ids[i], DeviceId = deviceId, Type = type,
                ExpiresUnixMs = expiresAt?.ToUnixTimeMilliseconds() ?? 0, CreatedBy = createdBy,
            };
            queued.Parameters.Add(sorted);
            await AppendAsync(s, siteId, new HubChange { CommandQueued = queued }); // first: the site row lock, as everywhere
            await s.ExecuteAsync(
                """
                INSERT INTO commands (command_id, site_id, device_id, type, parameters_json, status, created_by, created_at, expires_at, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                ids[i], siteId, deviceId, type, parametersJson, CommandStatuses.Queued, createdBy, NowMs, expiresAt?.ToUnixTimeMilliseconds(), reason ?? "");
        }

        await s.CommitAsync();
        return ids;
    }

    public async Task<CommandRecord?> CommandStatusAsync(string tenantId, string commandId, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var r = await s.SingleOrDefaultAsync(
            """
            SELECT c.command_id, c.site_id, c.device_id, c.type, c.status, c.message, c.created_by, c.expires_at, c.finished_at, c.reason, c.created_at
            FROM commands c JOIN sites s ON s.site_id = c.site_id
            WHERE c.command_id = ? AND s.tenant_id = ?
            """,
            commandId, tenantId);
        return r is null ? null : new CommandRecord(
            r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), Time(r.NullableLong(7)), Time(r.NullableLong(8)))
        {
            Reason = r.Text(9),
            CreatedAt = Time(r.NullableLong(10)),
        };
    }

    // ---- fleet -----------------------------------------------------------------------------------------

    /// <summary>Devices of one tenant's sites: the query's first parameter is the tenant id.</summary>
    private const string SelectTenantDevices = """
        SELECT d.site_id, d.device_id, d.serial, d.model, d.manufacturer, d.os_version, d.agent_version, d.group_name, d.state,
               d.status_json, d.compliant, d.finding_count, d.last_checkin
        FROM devices d JOIN sites s ON s.site_id = d.site_id
        WHERE s.tenant_id = ?
        """;

    public async Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(string tenantId, string? siteId = null, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var rows = siteId is null
            ? await s.QueryAsync(SelectTenantDevices + " ORDER BY d.site_id, d.device_id", tenantId)
            : await s.QueryAsync(SelectTenantDevices + " AND d.site_id = ? ORDER BY d.device_id", tenantId, siteId);
        return rows.Select(DeviceOf).ToList();
    }

    public async Task<IReadOnlyList<DeviceRecord>> FindDeviceAsync(string tenantId, string deviceId, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        return (await s.QueryAsync(SelectTenantDevices + " AND d.device_id = ? ORDER BY d.site_id", tenantId, deviceId)).Select(DeviceOf).ToList();
    }

    public async Task<IReadOnlyList<DeviceRecord>> ListGroupAsync(string tenantId, string group, string? siteId = null, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        const string Where = " AND d.group_name = ? AND d.state <> 'Retired'";
        var rows = siteId is null
            ? await s.QueryAsync(SelectTenantDevices + Where + " ORDER BY d.site_id, d.device_id", tenantId, group)
            : await s.QueryAsync(SelectTenantDevices + Where + " AND d.site_id = ? ORDER BY d.device_id", tenantId, group, siteId);
        return rows.Select(DeviceOf).ToList();
    }

    private static DeviceRecord DeviceOf(Row r) => new(
        r.Text(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Text(7), r.Text(8), r.Text(9),
        r.Bool(10), (int)r.Long(11), Time(r.NullableLong(12)));

    public async Task<IReadOnlyList<TransitionRecord>> ListTransitionsAsync(string tenantId, string siteId, string deviceId, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(
            """
            SELECT t.sequence, t.from_state, t.to_state, t.actor, t.reason, t.at
            FROM transitions t JOIN sites s ON s.site_id = t.site_id
            WHERE s.tenant_id = ? AND t.site_id = ? AND t.device_id = ? ORDER BY t.sequence
            """,
            tenantId, siteId, deviceId);
        return rows.Select(r => new TransitionRecord(r.ULong(0), r.Text(1), r.Text(2), r.Text(3), r.Text(4), DateTimeOffset.FromUnixTimeMilliseconds(r.Long(5)))).ToList();
    }

    public async Task<IReadOnlyList<SiteCompliance>> ComplianceAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(
            """
            SELECT d.site_id, count(*), sum(CASE WHEN d.compliant THEN 1 ELSE 0 END)
            FROM devices d JOIN sites s ON s.site_id = d.site_id
            WHERE s.tenant_id = ? GROUP BY d.site_id ORDER BY d.site_id
            """,
            tenantId);
        return rows.Select(r => new SiteCompliance(r.Text(0), (int)r.Long(1), (int)r.Long(2))).ToList();
    }

    // ---- admin tokens ----------------------------------------------------------------------------------

    public async Task<string> CreateApiTokenAsync(string tenantId, string name, CancellationToken cancellationToken = default)
    {
        var token = NewSecret();
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        await RequireTenantAsync(s, tenantId);
        await s.ExecuteAsync(
            "INSERT INTO api_tokens (token_hash, tenant_id, name, created_at) VALUES (?, ?, ?, ?)", CanonicalHash.Sha256Hex(token), tenantId, name, NowMs);
        await s.CommitAsync();
        return token;
    }

    public async Task<ApiCaller?> AuthenticateApiTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token))
            return null;
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var row = await s.SingleOrDefaultAsync(
            "SELECT tenant_id, name, account_name, expires_at FROM api_tokens WHERE token_hash = ?", CanonicalHash.Sha256Hex(token));
        if (row is null || (row.NullableLong(3) is { } expiresAt && expiresAt <= NowMs))
            return null;
        return new ApiCaller(row.Text(0), row.Text(1), row.NullableText(2));
    }

    // ---- accounts --------------------------------------------------------------------------------------

    public async Task AddAccountAsync(string tenantId, string userName, string passwordHash, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        await RequireTenantAsync(s, tenantId);
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM accounts WHERE tenant_id = ? AND user_name = ?", tenantId, userName) is not null)
            throw new StoreConflictException($"an account named '{userName}' exists");
        await s.ExecuteAsync(
            "INSERT INTO accounts (tenant_id, user_name, password_hash, created_at) VALUES (?, ?, ?, ?)", tenantId, userName, passwordHash, NowMs);
        await s.CommitAsync();
    }

    public async Task<IReadOnlyList<AccountRecord>> ListAccountsAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync("SELECT user_name, created_at FROM accounts WHERE tenant_id = ? ORDER BY user_name", tenantId);
        return rows.Select(r => new AccountRecord(r.Text(0), DateTimeOffset.FromUnixTimeMilliseconds(r.Long(1)))).ToList();
    }

    public async Task<bool> RemoveAccountAsync(string tenantId, string userName, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        if (await s.ExecuteAsync("DELETE FROM accounts WHERE tenant_id = ? AND user_name = ?", tenantId, userName) == 0)
            return false;
        await s.ExecuteAsync("DELETE FROM api_tokens WHERE tenant_id = ? AND account_name = ?", tenantId, userName);
        await s.CommitAsync();
        return true;
    }

    public async Task<string?> AccountPasswordHashAsync(string tenantId, string userName, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        return (await s.SingleOrDefaultAsync("SELECT password_hash FROM accounts WHERE tenant_id = ? AND user_name = ?", tenantId, userName))?.Text(0);
    }

    public async Task<string> IssueAccountTokenAsync(string tenantId, string userName, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var token = NewSecret();
        await using var s = await _db.BeginAsync(write: true, cancellationToken);

        // Locking the account's row keeps a removal from slipping between this check and the insert, which
        // would leave a token of an account that no longer exists.
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM accounts WHERE tenant_id = ? AND user_name = ?" + _db.ForUpdate, tenantId, userName) is null)
            throw new StoreConflictException($"no account '{userName}'");
        await s.ExecuteAsync(
            "INSERT INTO api_tokens (token_hash, tenant_id, name, account_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            CanonicalHash.Sha256Hex(token), tenantId, userName, userName, NowMs, expiresAt.ToUnixTimeMilliseconds());
        await s.CommitAsync();
        return token;
    }

    // ---- site users ------------------------------------------------------------------------------------

    public async Task<bool> UpsertSiteUserAsync(
        string tenantId, string siteId, string userName, string role, string passwordHash, CancellationToken cancellationToken = default)
    {
        var now = NowMs;
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        await LockSiteAsync(s, tenantId, siteId);
        var created = await s.SingleOrDefaultAsync("SELECT 1 FROM site_users WHERE site_id = ? AND user_name = ?", siteId, userName) is null;
        await s.ExecuteAsync(
            """
            INSERT INTO site_users (site_id, user_name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (site_id, user_name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, updated_at = excluded.updated_at
            """,
            siteId, userName, role, passwordHash, now, now);
        await AppendAsync(s, siteId, new HubChange { SiteUserUpserted = new() { UserName = userName, Role = role, PasswordHash = passwordHash } });
        await s.CommitAsync();
        return created;
    }

    public async Task<IReadOnlyList<SiteUserRecord>?> ListSiteUsersAsync(string tenantId, string siteId, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM sites WHERE site_id = ? AND tenant_id = ?", siteId, tenantId) is null)
            return null;
        var rows = await s.QueryAsync("SELECT user_name, role, created_at, updated_at FROM site_users WHERE site_id = ? ORDER BY user_name", siteId);
        return rows.Select(r => new SiteUserRecord(
            r.Text(0), r.Text(1), DateTimeOffset.FromUnixTimeMilliseconds(r.Long(2)), DateTimeOffset.FromUnixTimeMilliseconds(r.Long(3)))).ToList();
    }

    public async Task<bool> RemoveSiteUserAsync(string tenantId, string siteId, string userName, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.BeginAsync(write: true, cancellationToken);
        await LockSiteAsync(s, tenantId, siteId);
        if (await s.ExecuteAsync("DELETE FROM site_users WHERE site_id = ? AND user_name = ?", siteId, userName) == 0)
            return false;
        await AppendAsync(s, siteId, new HubChange { SiteUserRemoved = new() { UserName = userName } });
        await s.CommitAsync();
        return true;
    }

    // ---- digest ----------------------------------------------------------------------------------------

    /// <summary>The tables and columns the digest covers, each in a total order (hub-side times left out).</summary>
    private static readonly string[] DigestQueries =
    [
        "SELECT site_id, name, applied_through, feed_head FROM sites ORDER BY site_id",
        """
        SELECT site_id, device_id, serial, model, manufacturer, os_version, agent_version, group_name, state, status_json,
               CASE WHEN compliant THEN 1 ELSE 0 END, findings_json, finding_count, declarations_token, last_checkin
        FROM devices ORDER BY site_id, device_id
        """,
        "SELECT site_id, sequence, device_id, from_state, to_state, actor, reason, at FROM transitions ORDER BY site_id, sequence",
        "SELECT command_id, site_id, device_id, type, parameters_json, status, message, finished_at FROM commands ORDER BY command_id",
        "SELECT site_id, position, change FROM feed ORDER BY site_id, position",
    ];

    public async Task<string> StateDigestAsync(CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var s = await _db.BeginAsync(write: false, cancellationToken);
        foreach (var query in DigestQueries)
        {
            foreach (var row in await s.QueryAsync(query))
            {
                // Each row as a JSON array of strings: unambiguous whatever the values contain.
                var line = JsonSerializer.Serialize(row.Canonical(), CloudJson.Default.StringArray);
                hash.AppendData(Encoding.UTF8.GetBytes(line + "\n"));
            }

            hash.AppendData("--\n"u8);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private Task<List<Row>> LockCatalogAsync(HubSession s) => s.QueryAsync("SELECT id FROM catalog_lock WHERE id = 1" + _db.ForUpdate);

    private async Task AppendToTenantSitesAsync(HubSession s, string tenantId, HubChange change)
    {
        foreach (var site in await s.QueryAsync("SELECT site_id FROM sites WHERE tenant_id = ? ORDER BY site_id", tenantId))
            await AppendAsync(s, site.Text(0), change);
    }

    private static async Task RequireTenantAsync(HubSession s, string tenantId)
    {
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM tenants WHERE tenant_id = ?", tenantId) is null)
            throw new StoreConflictException($"unknown tenant '{tenantId}'");
    }

    /// <summary>Refuses a site the tenant does not have, in words that do not tell whether another tenant has it.</summary>
    private static async Task RequireSiteAsync(HubSession s, string tenantId, string siteId)
    {
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM sites WHERE site_id = ? AND tenant_id = ?", siteId, tenantId) is null)
            throw new StoreConflictException($"unknown site '{siteId}'");
    }

    /// <summary>
    /// <see cref="RequireSiteAsync"/> that also takes the site's row lock before anything else is touched, so
    /// a site-user write and a feed append by another transaction queue on the same lock in the same order.
    /// </summary>
    private async Task LockSiteAsync(HubSession s, string tenantId, string siteId)
    {
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM sites WHERE site_id = ? AND tenant_id = ?" + _db.ForUpdate, siteId, tenantId) is null)
            throw new StoreConflictException($"unknown site '{siteId}'");
    }

    private static string FindingsJson(StatusReported status) => JsonSerializer.Serialize(
        status.Findings.Select(f => new StoredFinding(f.Item, f.Expected, f.Actual, f.Severity)).ToList(),
        CloudJson.Default.ListStoredFinding);

    private static DateTimeOffset? Time(long? unixMs) => unixMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>256 random bits as lowercase hex: a site credential, an enrollment or API token.</summary>
    private static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>A site's or tenant's id from its name: "DC Leipzig #2" → "dc-leipzig-2".</summary>
    internal static string IdFrom(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var id = new StringBuilder();
        foreach (var c in name.Trim().ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c))
                id.Append(c);
            else if (id.Length > 0 && id[^1] != '-')
                id.Append('-');
        }

        var result = id.ToString().Trim('-');
        return result.Length > 0 ? result : throw new ArgumentException($"'{name}' has no letters or digits to make an id of", nameof(name));
    }
}

/// <summary>The command statuses a site reports (sync.proto CommandResultReported.status), plus the hub's own "queued".</summary>
public static class CommandStatuses
{
    public const string Queued = "queued";
    public const string Delivered = "delivered";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Expired = "expired";
}

internal sealed record StoredFinding(string Item, string Expected, string Actual, string Severity);
