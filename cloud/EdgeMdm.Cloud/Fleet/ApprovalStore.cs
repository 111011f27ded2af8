using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Domain.Security;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Fleet;

/// <summary>
/// Dangerous actions at the hub (section <c>Cloud:DangerousActions</c>, <see cref="DangerousActionSettings"/>, hub-wide:
/// every tenant alike): when a wipe waits for a second person, and how long it may wait.
/// </summary>
public static class HubDangerousActionOptions
{
    public const string Section = "Cloud:DangerousActions";
}

internal sealed class HubDangerousActionOptionsValidator : IValidateOptions<DangerousActionSettings>
{
    public ValidateOptionsResult Validate(string? name, DangerousActionSettings options)
    {
        var problems = options.Policy.Problems(HubDangerousActionOptions.Section);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

/// <summary>A command request held for a second person: what it would queue, for whom, why, and until when.</summary>
public sealed record ApprovalDraft(
    DangerousAction Action, string Type, string Target, IReadOnlyList<CommandTarget> Targets, IReadOnlyDictionary<string, string> Parameters,
    long? ExpiresInSeconds, string Reason, string RequestedBy, DateTimeOffset RequestedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// An approval request as the API shows it. <c>Status</c>: Pending, Approved, or Expired (pending past <c>ExpiresAt</c>).
/// <c>Sites</c>: the sites its devices are at (a site operator sees and approves only requests within its sites).
/// </summary>
public sealed record ApprovalRecord(
    string ApprovalId, string Action, string Type, string Target, int Devices, IReadOnlyList<string> Sites, string Reason, string RequestedBy,
    DateTimeOffset RequestedAt, DateTimeOffset ExpiresAt, string Status, string? ApprovedBy, DateTimeOffset? ApprovedAt, IReadOnlyList<string> CommandIds)
{
    /// <summary>The request as the rule judges an approval (<see cref="DangerousActions.ApprovalRefusal"/>).</summary>
    public ApprovalRequest ToRequest() => new(
        ApprovalId, Enum.Parse<DangerousAction>(Action), RequestedBy, ExpiresAt,
        string.Equals(Status, nameof(ApprovalStatus.Approved), StringComparison.Ordinal) ? ApprovalStatus.Approved : ApprovalStatus.Pending, ApprovedBy);
}

/// <summary>Requests waiting for a second person, per tenant (table <c>approvals</c>).</summary>
public interface IApprovalStore
{
    Task<ApprovalRecord> AddAsync(string tenantId, ApprovalDraft draft, CancellationToken cancellationToken = default);

    /// <summary>The tenant's requests, newest first (at most 200): pending ones only, or every one.</summary>
    Task<IReadOnlyList<ApprovalRecord>> ListAsync(string tenantId, bool pendingOnly, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>The request, or null for an id unknown to the tenant.</summary>
    Task<ApprovalRecord?> FindAsync(string tenantId, string approvalId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks the request approved by <paramref name="approver"/> and queues its commands, in one transaction, if it is
    /// still pending and before its expiry at <paramref name="now"/>; null when it is not (approved by someone else
    /// meanwhile, or expired): nothing is queued then. The rules about who may approve are the caller's to check first.
    /// </summary>
    Task<ApprovalRecord?> ApproveAsync(string tenantId, string approvalId, string approver, DateTimeOffset now, CancellationToken cancellationToken = default);
}

internal sealed class SqlApprovalStore(IHubDatabase db, SqlCommandStore commands) : IApprovalStore
{
    private const string Columns =
        "approval_id, action, command_type, target, targets_json, reason, requested_by, requested_at, expires_at, status, approved_by, approved_at, command_ids_json";

    public async Task<ApprovalRecord> AddAsync(string tenantId, ApprovalDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var id = "apr-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await s.ExecuteAsync(
            """
            INSERT INTO approvals (approval_id, tenant_id, action, command_type, target, targets_json, parameters_json, expires_in_seconds, reason,
                                   requested_by, requested_at, expires_at, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'Pending')
            """,
            id, tenantId, draft.Action.ToString(), draft.Type, draft.Target, JsonSerializer.Serialize(draft.Targets, ApprovalJson.Default.IReadOnlyListCommandTarget),
            JsonSerializer.Serialize(draft.Parameters, ApprovalJson.Default.IReadOnlyDictionaryStringString), draft.ExpiresInSeconds, draft.Reason,
            draft.RequestedBy, draft.RequestedAt.ToUnixTimeMilliseconds(), draft.ExpiresAt.ToUnixTimeMilliseconds());
        await s.CommitAsync();
        return (await FindAsync(tenantId, id, draft.RequestedAt, cancellationToken))!;
    }

    public async Task<IReadOnlyList<ApprovalRecord>> ListAsync(string tenantId, bool pendingOnly, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = pendingOnly
            ? await s.QueryAsync($"SELECT {Columns} FROM approvals WHERE tenant_id = ? AND status = 'Pending' AND expires_at > ? ORDER BY requested_at DESC LIMIT 200", tenantId, now.ToUnixTimeMilliseconds())
            : await s.QueryAsync($"SELECT {Columns} FROM approvals WHERE tenant_id = ? ORDER BY requested_at DESC LIMIT 200", tenantId);
        return rows.Select(r => Record(r, now)).ToList();
    }

    public async Task<ApprovalRecord?> FindAsync(string tenantId, string approvalId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var row = await s.SingleOrDefaultAsync($"SELECT {Columns} FROM approvals WHERE tenant_id = ? AND approval_id = ?", tenantId, approvalId);
        return row is null ? null : Record(row, now);
    }

    public async Task<ApprovalRecord?> ApproveAsync(string tenantId, string approvalId, string approver, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        // The update is the gate: only one transaction finds the row pending and unexpired (PostgreSQL's row lock, SQLite's write lock).
        var won = await s.ExecuteAsync(
            "UPDATE approvals SET status = 'Approved', approved_by = ?, approved_at = ? WHERE tenant_id = ? AND approval_id = ? AND status = 'Pending' AND expires_at > ?",
            approver, now.ToUnixTimeMilliseconds(), tenantId, approvalId, now.ToUnixTimeMilliseconds());
        if (won != 1)
            return null;
        var row = (await s.SingleOrDefaultAsync(
            "SELECT command_type, targets_json, parameters_json, expires_in_seconds, requested_by, reason FROM approvals WHERE approval_id = ?", approvalId))!;
        var targets = JsonSerializer.Deserialize(row.Text(1), ApprovalJson.Default.IReadOnlyListCommandTarget) ?? [];
        var parameters = JsonSerializer.Deserialize(row.Text(2), ApprovalJson.Default.IReadOnlyDictionaryStringString) ?? new Dictionary<string, string>(StringComparer.Ordinal);
        DateTimeOffset? expiresAt = row.NullableLong(3) is { } seconds ? now.AddSeconds(seconds) : null;
        // The requester's command, sent with their reason: the approver's part is the approval itself.
        var ids = await commands.QueueInAsync(s, tenantId, targets, row.Text(0), parameters, expiresAt, row.Text(4), row.Text(5));
        await s.ExecuteAsync("UPDATE approvals SET command_ids_json = ? WHERE approval_id = ?", JsonSerializer.Serialize(ids, ApprovalJson.Default.IReadOnlyListString), approvalId);
        await s.CommitAsync();
        return await FindAsync(tenantId, approvalId, now, cancellationToken);
    }

    private static ApprovalRecord Record(Row r, DateTimeOffset now)
    {
        var targets = JsonSerializer.Deserialize(r.Text(4), ApprovalJson.Default.IReadOnlyListCommandTarget) ?? [];
        var expiresAt = r.Time(8);
        var status = string.Equals(r.Text(9), nameof(ApprovalStatus.Pending), StringComparison.Ordinal) && now >= expiresAt ? "Expired" : r.Text(9);
        return new ApprovalRecord(
            r.Text(0), r.Text(1), r.Text(2), r.Text(3), targets.Count, targets.Select(t => t.SiteId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            r.Text(5), r.Text(6), r.Time(7), expiresAt, status, r.NullableText(10), r.NullableTime(11),
            r.NullableText(12) is { } ids ? JsonSerializer.Deserialize(ids, ApprovalJson.Default.IReadOnlyListString) ?? [] : []);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(IReadOnlyList<CommandTarget>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class ApprovalJson : JsonSerializerContext;
