using EdgeMdm.Contracts.Device;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Edge.Fleet;
using EdgeMdm.Edge.Seed;

namespace EdgeMdm.Edge.Storage;

// Narrow store interfaces: each consumer asks for the one it needs (nanomdm's storage.go shape).
// IEdgeStore composes them for the single SQLite implementation.

/// <summary>Why a device request was refused; the API maps the kind to an HTTP status.</summary>
public enum RefusalKind
{
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
}

public sealed record Refusal(RefusalKind Kind, string Title, string Detail);

/// <summary>Either a value or the reason there is none.</summary>
public sealed record Outcome<T>(T? Value, Refusal? Refusal)
    where T : class
{
    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(Refusal refusal) => new(null, refusal);
}

public sealed record EnrollmentAttempt(
    string TokenHash,
    string Serial,
    string Model,
    string Manufacturer,
    string OsVersion,
    string AgentVersion);

public sealed record Enrolled(string DeviceId, string DeviceSecret, string SiteId, string Group, bool Reenrolled);

public sealed record CommandOutcomeReport(bool Succeeded, string? Message, DateTimeOffset? FinishedAt);

public sealed record CommandRecorded(string CommandId, string Status, bool AlreadyRecorded);

public interface IEnrollmentStore
{
    Task<Outcome<Enrolled>> EnrollAsync(EnrollmentAttempt attempt, DateTimeOffset now);
}

public interface ITokenStore
{
    Task<IssuedToken> CreateTokenAsync(string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now);

    /// <summary>Records a token whose clear value comes from elsewhere (the seed file); idempotent.</summary>
    Task ImportTokenAsync(string clearToken, string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now);

    IReadOnlyList<TokenSummary> ListTokens();
}

public interface ICheckinStore
{
    Task<Outcome<CheckinResponse>> CheckinAsync(string secretHash, DeviceStatus? changes, string? heldDeclarationsToken, DateTimeOffset now);

    Task<Outcome<CommandRecorded>> RecordCommandResultAsync(string secretHash, string commandId, CommandOutcomeReport report, DateTimeOffset now);

    /// <summary>The declarations of the device holding this secret.</summary>
    Outcome<DeclarationsDocument> Declarations(string secretHash);
}

public interface IBlueprintStore
{
    Task ApplySeedAsync(SiteSeed seed, DateTimeOffset now);

    bool HasBlueprint(string group);

    IReadOnlyCollection<string> Groups { get; }
}

public interface ICommandStore
{
    Task<Outcome<CommandSummary>> QueueCommandAsync(string deviceId, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now);

    /// <summary>One command for every device of <paramref name="group"/> that may check in, in one transaction; empty when there is none.</summary>
    Task<IReadOnlyList<CommandSummary>> QueueGroupCommandAsync(string group, string type, IReadOnlyDictionary<string, string> parameters, DateTimeOffset? expiresAt, string actor, DateTimeOffset now);

    IReadOnlyList<CommandSummary> ListCommands(string? deviceId);
}

public interface IDeviceAdmin
{
    Task<Outcome<StateTransitionRecord>> TransitionAsync(string deviceId, DeviceState target, string actor, string reason, DateTimeOffset now);
}

public interface IFleetQueries
{
    IReadOnlyList<DeviceSummary> ListDevices();

    DeviceDetail? Device(string deviceIdOrSerial);

    DriftSummary Drift();
}

/// <summary>
/// Where the upstream log stands. <paramref name="Depth"/>: rows not yet acknowledged; <paramref name="OldestPendingAt"/>:
/// when the oldest of them happened (null when the outbox is empty), the sync lag; <paramref name="OfferedThrough"/>:
/// the highest sequence ever read for a push; <paramref name="AckedThrough"/>: the highest the hub acknowledged.
/// </summary>
public sealed record OutboxState(long Depth, DateTimeOffset? OldestPendingAt, ulong OfferedThrough, ulong AckedThrough);

/// <summary>The upstream side of sync (ADR 0001): the site's numbered outbox, read by the sync worker.</summary>
public interface IOutboxStore
{
    /// <summary>
    /// Up to <paramref name="maxChanges"/> changes after the last one taken since the last (re)connect (at first,
    /// the oldest unacknowledged), in sequence order, with their sequence set. Raises offered_through to the
    /// last one returned, which freezes their content (status coalescing stops touching them).
    /// </summary>
    Task<IReadOnlyList<SiteChange>> TakeBatchAsync(int maxChanges);

    /// <summary>The hub holds everything up to <paramref name="appliedThrough"/>: deletes those rows. Idempotent; never goes backwards.</summary>
    Task AcknowledgeAsync(ulong appliedThrough);

    /// <summary>
    /// After Hello on a (re)connect: acknowledges up to what the hub holds, and makes the next
    /// <see cref="TakeBatchAsync"/> start right after it, so rows offered on a lost stream are offered again.
    /// </summary>
    Task ResetOfferedAsync(ulong appliedThroughAtHub);

    OutboxState State();
}

/// <summary>The downstream side of sync (ADR 0001): the hub's feed, applied with its position.</summary>
public interface IFeedStore
{
    /// <summary>Position of the last feed change applied; 0 before the first.</summary>
    ulong FeedPosition { get; }

    /// <summary>
    /// Applies every change of the batch and its through_position in one transaction, idempotently by key;
    /// a batch at or behind <see cref="FeedPosition"/> changes nothing.
    /// </summary>
    Task ApplyDownstreamAsync(DownstreamBatch batch);
}

public interface IEdgeStore : IEnrollmentStore, ITokenStore, ICheckinStore, IBlueprintStore, ICommandStore, IDeviceAdmin, IFleetQueries, IOutboxStore, IFeedStore;
