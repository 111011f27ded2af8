using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Storage;

// The hub's storage, split into the narrow interfaces each consumer needs (nanomdm's storage.go). Every
// method is one database transaction and holds no state in memory between calls, so any number of hub
// replicas may share one PostgreSQL database.

/// <summary>Sites and their credentials.</summary>
public interface ISiteRegistry
{
    /// <summary>
    /// Registers a site. Its id is derived from the name (lowercase, dashes); a name whose id is taken throws
    /// <see cref="StoreConflictException"/>. The clear credential is returned once; only its SHA-256 is kept.
    /// The new site's feed starts with every current blueprint.
    /// </summary>
    Task<NewSite> AddSiteAsync(string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SiteSummary>> ListSitesAsync(CancellationToken cancellationToken = default);

    /// <summary>The site a credential belongs to, or null for an unknown credential.</summary>
    Task<string?> AuthenticateSiteAsync(string credential, CancellationToken cancellationToken = default);
}

/// <summary>What sites send up: their numbered change log (docs/adr/0001-sync-protocol.md).</summary>
public interface IUpstreamStore
{
    /// <summary>
    /// Applies, in one transaction holding the site's row lock, every change of the batch that continues the
    /// site's log: sorted by sequence, a sequence at or below <c>applied_through</c> is a duplicate and is
    /// skipped, the next one is applied and advances it, and application stops at the first gap. Returns the
    /// new <c>applied_through</c> (the highest contiguous sequence held), which is what the site may forget.
    /// </summary>
    Task<ulong> ApplyUpstreamAsync(string siteId, IReadOnlyList<SiteChange> changes, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>The highest contiguous sequence applied for the site; 0 when nothing was (or the site is unknown).</summary>
    Task<ulong> AppliedThroughAsync(string siteId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records what the site said of its own sync in its Hello, at <paramref name="now"/>, which is also its
    /// last sync. A null <paramref name="report"/> (an appliance that does not report it) only sets last_sync_at.
    /// </summary>
    Task RecordHelloAsync(string siteId, SiteSyncReport? report, DateTimeOffset now, CancellationToken cancellationToken = default);
}

/// <summary>What flows down to a site: its positioned change feed.</summary>
public interface IFeedStore
{
    /// <summary>Appends a change at the site's next position (1, 2, 3... without gaps, under the site's row lock) and returns it.</summary>
    Task<ulong> AppendToFeedAsync(string siteId, HubChange change, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> changes after <paramref name="afterPosition"/>, in position order, each with its position set.</summary>
    Task<IReadOnlyList<HubChange>> ReadFeedAsync(string siteId, ulong afterPosition, int max, CancellationToken cancellationToken = default);

    /// <summary>The position of the site's newest feed change; 0 for an empty feed.</summary>
    Task<ulong> FeedHeadAsync(string siteId, CancellationToken cancellationToken = default);
}

/// <summary>Central IT's records. Each change is appended to the concerned sites' feeds in the same transaction.</summary>
public interface ICatalogStore
{
    /// <summary>Stores the group's blueprint and feeds it to every site; returns false (and feeds nothing) when it is unchanged.</summary>
    Task<bool> UpsertBlueprintAsync(Blueprint blueprint, CancellationToken cancellationToken = default);

    /// <summary>Deletes the group's blueprint and tells every site; false when there was none.</summary>
    Task<bool> DeleteBlueprintAsync(string group, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Blueprint>> ListBlueprintsAsync(CancellationToken cancellationToken = default);

    /// <summary>Issues an enrollment token for one site; returns the clear token once (the site only ever gets its hash).</summary>
    Task<string> IssueTokenAsync(string siteId, string group, uint uses, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Queues a command for a device of a site and returns its id; <paramref name="expiresAt"/> null means no expiry.</summary>
    Task<string> QueueCommandAsync(
        string siteId, string deviceId, string type, IReadOnlyDictionary<string, string> parameters,
        DateTimeOffset? expiresAt, string createdBy, string reason = "", CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues the same command for each target (site, device) in one transaction, all or none, and returns the
    /// ids in the order of <paramref name="targets"/>. An unknown site throws <see cref="StoreConflictException"/>.
    /// </summary>
    Task<IReadOnlyList<string>> QueueCommandsAsync(
        IReadOnlyList<CommandTarget> targets, string type, IReadOnlyDictionary<string, string> parameters,
        DateTimeOffset? expiresAt, string createdBy, string reason = "", CancellationToken cancellationToken = default);

    /// <summary>The command and its status as last reported by its site, or null for an unknown id.</summary>
    Task<CommandRecord?> CommandStatusAsync(string commandId, CancellationToken cancellationToken = default);
}

/// <summary>Read-only views of the fleet as the sites reported it.</summary>
public interface IFleetReadStore
{
    /// <summary>Devices of one site, or of all sites when <paramref name="siteId"/> is null; ordered by site, then device.</summary>
    Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(string? siteId = null, CancellationToken cancellationToken = default);

    /// <summary>A device's lifecycle transitions, in the site's sequence order.</summary>
    Task<IReadOnlyList<TransitionRecord>> ListTransitionsAsync(string siteId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>Every device with this id, across sites (more than one when two sites use the same id), ordered by site.</summary>
    Task<IReadOnlyList<DeviceRecord>> FindDeviceAsync(string deviceId, CancellationToken cancellationToken = default);

    /// <summary>The devices of a group that are not retired, of one site or all; ordered by site, then device.</summary>
    Task<IReadOnlyList<DeviceRecord>> ListGroupAsync(string group, string? siteId = null, CancellationToken cancellationToken = default);

    /// <summary>Per site: how many devices, how many compliant.</summary>
    Task<IReadOnlyList<SiteCompliance>> ComplianceAsync(CancellationToken cancellationToken = default);
}

/// <summary>API tokens for central IT's REST calls (the CLI).</summary>
public interface IAdminTokens
{
    /// <summary>Creates a token and returns it in clear, once; only its SHA-256 is kept.</summary>
    Task<string> CreateApiTokenAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The token's name, or null for an unknown token.</summary>
    Task<string?> AuthenticateApiTokenAsync(string token, CancellationToken cancellationToken = default);
}

/// <summary>Everything the hub stores; the host registers one and consumers ask for the narrow part they use.</summary>
public interface IHubStore : ISiteRegistry, IUpstreamStore, IFeedStore, ICatalogStore, IFleetReadStore, IAdminTokens
{
    /// <summary>
    /// Lowercase hex SHA-256 over a canonical dump of all site data the hub holds (applied_through, devices,
    /// transitions, command statuses, feeds), leaving out wall-clock times of the hub's own. Two deliveries of
    /// the same changes, however faulty, must give the same digest.
    /// </summary>
    Task<string> StateDigestAsync(CancellationToken cancellationToken = default);
}

public sealed record NewSite(string SiteId, string Credential);

public sealed record SiteSummary(string SiteId, string Name, DateTimeOffset? LastSyncAt, ulong AppliedThrough, ulong FeedHead)
{
    /// <summary>What the site last said of its own sync, and when the hub heard it; null until it reported.</summary>
    public SiteSyncReport? Report { get; init; }

    public DateTimeOffset? ReportedAt { get; init; }

    /// <summary>
    /// Upstream changes the site holds that the hub has not applied, as far as the hub knows: the head the
    /// site last reported minus what has been applied since (so it shrinks as a backlog drains); null when
    /// the site never reported.
    /// </summary>
    public ulong? Backlog => Report is { } r ? r.OutboxHead > AppliedThrough ? r.OutboxHead - AppliedThrough : 0 : null;

    /// <summary>The silence after which the time since the last report counts as lag (a few sync rounds).</summary>
    public static readonly TimeSpan SilentAfter = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How far behind the hub's view of the site is, at <paramref name="now"/>: the age of the oldest pending
    /// change at the last report (0 when the backlog is drained), plus the time since that report when the
    /// site has been silent for more than <see cref="SilentAfter"/>; null when the site never reported.
    /// </summary>
    public TimeSpan? Lag(DateTimeOffset now)
    {
        if (Report is not { } r || ReportedAt is not { } reportedAt)
            return null;
        var pending = Backlog > 0 && r.OldestPendingAt is { } oldest && reportedAt > oldest ? reportedAt - oldest : TimeSpan.Zero;
        var silence = now - reportedAt;
        return silence > SilentAfter ? pending + silence : pending;
    }
}

/// <summary>
/// A site's view of its own sync, from its Hello: unacknowledged changes (<paramref name="OutboxDepth"/>), the
/// highest sequence it wrote, when the oldest pending change happened, its uplink state and last successful sync.
/// </summary>
public sealed record SiteSyncReport(ulong OutboxDepth, ulong OutboxHead, DateTimeOffset? OldestPendingAt, string UplinkState, DateTimeOffset? SiteLastSyncAt);

/// <summary>A device a command goes to.</summary>
public sealed record CommandTarget(string SiteId, string DeviceId);

public sealed record DeviceRecord(
    string SiteId, string DeviceId, string Serial, string Model, string Manufacturer, string OsVersion,
    string AgentVersion, string Group, string State, string StatusJson, bool Compliant, int Findings,
    DateTimeOffset? LastCheckin);

public sealed record TransitionRecord(ulong Sequence, string FromState, string ToState, string Actor, string Reason, DateTimeOffset At);

public sealed record SiteCompliance(string SiteId, int Devices, int Compliant);

public sealed record CommandRecord(
    string CommandId, string SiteId, string DeviceId, string Type, string Status, string Message,
    string CreatedBy, DateTimeOffset? ExpiresAt, DateTimeOffset? FinishedAt)
{
    /// <summary>Why it was sent, as given by central IT; empty when not given.</summary>
    public string Reason { get; init; } = "";

    public DateTimeOffset? CreatedAt { get; init; }
}

/// <summary>A write that conflicts with what is stored (a site name already taken, an unknown site).</summary>
public sealed class StoreConflictException : Exception
{
    public StoreConflictException() { }

    public StoreConflictException(string message) : base(message) { }

    public StoreConflictException(string message, Exception innerException) : base(message, innerException) { }
}
