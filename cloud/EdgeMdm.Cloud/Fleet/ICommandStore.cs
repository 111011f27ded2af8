namespace EdgeMdm.Cloud.Fleet;

/// <summary>
/// Central IT's commands to devices, per tenant. Each command is appended to its site's feed in the same
/// transaction. A site of another tenant is an unknown site: <see cref="Storage.StoreConflictException"/>.
/// </summary>
public interface ICommandStore
{
    /// <summary>Queues a command for a device of a site of the tenant and returns its id; <paramref name="expiresAt"/> null means no expiry.</summary>
    Task<string> QueueCommandAsync(
        string tenantId, string siteId, string deviceId, string type, IReadOnlyDictionary<string, string> parameters,
        DateTimeOffset? expiresAt, string createdBy, string reason = "", CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues the same command for each target (site, device) in one transaction, all or none, and returns the
    /// ids in the order of <paramref name="targets"/>. A site unknown to the tenant throws <see cref="Storage.StoreConflictException"/>.
    /// </summary>
    Task<IReadOnlyList<string>> QueueCommandsAsync(
        string tenantId, IReadOnlyList<CommandTarget> targets, string type, IReadOnlyDictionary<string, string> parameters,
        DateTimeOffset? expiresAt, string createdBy, string reason = "", CancellationToken cancellationToken = default);

    /// <summary>The command and its status as last reported by its site, or null for an id unknown to the tenant.</summary>
    Task<CommandRecord?> CommandStatusAsync(string tenantId, string commandId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The tenant's commands that match <paramref name="query"/> (each filter null: any), newest first by when they were
    /// queued: at most <see cref="CommandQuery.Limit"/> of them, and how many match in all.
    /// </summary>
    Task<CommandList> ListCommandsAsync(string tenantId, CommandQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Which commands to list: of one site, one device (its id) and one status, or any; at most <c>Limit</c>.</summary>
public sealed record CommandQuery(string? SiteId = null, string? DeviceId = null, string? Status = null, int Limit = 100);

/// <summary>The first commands that matched a <see cref="CommandQuery"/>, newest first, and how many matched in all.</summary>
public sealed record CommandList(IReadOnlyList<CommandRecord> Commands, int Total);

/// <summary>A device a command goes to.</summary>
public sealed record CommandTarget(string SiteId, string DeviceId);

public sealed record CommandRecord(
    string CommandId, string SiteId, string DeviceId, string Type, string Status, string Message,
    string CreatedBy, DateTimeOffset? ExpiresAt, DateTimeOffset? FinishedAt)
{
    /// <summary>Why it was sent, as given by central IT; empty when not given.</summary>
    public string Reason { get; init; } = "";

    public DateTimeOffset? CreatedAt { get; init; }
}

/// <summary>The command statuses a site reports (sync.proto CommandResultReported.status), plus the hub's own "queued".</summary>
public static class CommandStatuses
{
    public const string Queued = "queued";
    public const string Delivered = "delivered";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Expired = "expired";

    /// <summary>Every status a command can have, in the order it moves through them.</summary>
    public static IReadOnlyList<string> All { get; } = [Queued, Delivered, Succeeded, Failed, Expired];
}
