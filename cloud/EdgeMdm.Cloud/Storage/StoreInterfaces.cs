using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Storage;

// The hub's storage, split into the narrow interfaces each consumer needs (nanomdm's storage.go). Every
// method is one database transaction and holds no state in memory between calls, so any number of hub
// replicas may share one PostgreSQL database.
//
// Central IT's view is per tenant: every method that serves it takes the caller's tenant id first and acts
// only on that tenant's records. A site, blueprint, command or device of another tenant is treated exactly
// as one that does not exist. The sync side (upstream log, feed, site credentials) is keyed by site id,
// which is unique across the hub.

/// <summary>The tenants a hub serves; created by the hub operator (<c>edgemdm-cloud tenants add</c>).</summary>
public interface ITenantStore
{
    /// <summary>
    /// Creates a tenant whose id is derived from the name (lowercase, dashes, as for sites); an id that is
    /// taken throws <see cref="StoreConflictException"/>.
    /// </summary>
    Task<TenantRecord> AddTenantAsync(string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken cancellationToken = default);
}

/// <summary>Sites and their credentials.</summary>
public interface ISiteRegistry
{
    /// <summary>
    /// Registers a site of the tenant. Its id is derived from the name (lowercase, dashes), prefixed with
    /// "TENANT." outside the default tenant so that tenants never compete for ids (a taken id would tell one
    /// tenant of another's site); a name whose id is taken throws <see cref="StoreConflictException"/>, as
    /// does an unknown tenant. The clear credential is returned once; only its SHA-256 is kept. The new
    /// site's feed starts with the package signing key (once it exists), then every package of its tenant,
    /// then every current blueprint of its tenant.
    /// </summary>
    Task<NewSite> AddSiteAsync(string tenantId, string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SiteSummary>> ListSitesAsync(string tenantId, CancellationToken cancellationToken = default);

    /// <summary>Whether the tenant has this site (false for another tenant's).</summary>
    Task<bool> SiteExistsAsync(string tenantId, string siteId, CancellationToken cancellationToken = default);

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

/// <summary>
/// Central IT's records, per tenant. Each change is appended to the concerned sites' feeds in the same
/// transaction. A site of another tenant is an unknown site: <see cref="StoreConflictException"/>.
/// </summary>
public interface ICatalogStore
{
    /// <summary>
    /// Stores the tenant's blueprint for the group and feeds it to every site of the tenant; returns false (and
    /// feeds nothing) when its content hash (declarations and rollout plans, an app without a plan counted as
    /// <see cref="Domain.Rollouts.RolloutPlan.Default"/>) is unchanged. An app whose version code changed starts a
    /// rollout (<see cref="IRolloutStore"/>) in the same transaction, superseding the group's current one of the
    /// package, and the stored and fed app carries it (<see cref="AppRollout"/> with id and from-version); an app
    /// whose version is unchanged keeps its rollout with the plan given now; an app new to the group starts none.
    /// </summary>
    Task<bool> UpsertBlueprintAsync(string tenantId, Blueprint blueprint, CancellationToken cancellationToken = default);

    /// <summary>Deletes the tenant's blueprint for the group, ends its rollouts and tells the tenant's sites; false when there was none.</summary>
    Task<bool> DeleteBlueprintAsync(string tenantId, string group, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Blueprint>> ListBlueprintsAsync(string tenantId, CancellationToken cancellationToken = default);

    /// <summary>Issues an enrollment token for one site of the tenant; returns the clear token once (the site only ever gets its hash).</summary>
    Task<string> IssueTokenAsync(string tenantId, string siteId, string group, uint uses, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Queues a command for a device of a site of the tenant and returns its id; <paramref name="expiresAt"/> null means no expiry.</summary>
    Task<string> QueueCommandAsync(
        string tenantId, string siteId, string deviceId, string type, IReadOnlyDictionary<string, string> parameters,
        DateTimeOffset? expiresAt, string createdBy, string reason = "", CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues the same command for each target (site, device) in one transaction, all or none, and returns the
    /// ids in the order of <paramref name="targets"/>. A site unknown to the tenant throws <see cref="StoreConflictException"/>.
    /// </summary>
    Task<IReadOnlyList<string>> QueueCommandsAsync(
        string tenantId, IReadOnlyList<CommandTarget> targets, string type, IReadOnlyDictionary<string, string> parameters,
        DateTimeOffset? expiresAt, string createdBy, string reason = "", CancellationToken cancellationToken = default);

    /// <summary>The command and its status as last reported by its site, or null for an id unknown to the tenant.</summary>
    Task<CommandRecord?> CommandStatusAsync(string tenantId, string commandId, CancellationToken cancellationToken = default);
}

/// <summary>Central IT's accounts: a user name and a password per tenant, signing in for API tokens.</summary>
public interface IAccountStore
{
    /// <summary>Adds an account with an already hashed password; a taken name (or an unknown tenant) throws <see cref="StoreConflictException"/>.</summary>
    Task AddAccountAsync(string tenantId, string userName, string passwordHash, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AccountRecord>> ListAccountsAsync(string tenantId, CancellationToken cancellationToken = default);

    /// <summary>Removes the account and every API token issued to it; false when the tenant has no such account.</summary>
    Task<bool> RemoveAccountAsync(string tenantId, string userName, CancellationToken cancellationToken = default);

    /// <summary>The account's stored password hash, or null when the tenant (or the account) does not exist.</summary>
    Task<string?> AccountPasswordHashAsync(string tenantId, string userName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issues an API token bound to the account, valid until <paramref name="expiresAt"/>; returns it in clear,
    /// once. An account removed meanwhile throws <see cref="StoreConflictException"/>.
    /// </summary>
    Task<string> IssueAccountTokenAsync(string tenantId, string userName, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);
}

/// <summary>
/// The people who sign in to a site's appliance. Owned by the hub; each change goes down the site's feed in
/// the same transaction (only the password hash ever leaves the hub). A site of another tenant is unknown.
/// </summary>
public interface ISiteUserStore
{
    /// <summary>
    /// Creates the site user, or replaces its role and password hash (a password reset); returns true when it
    /// was created. A site unknown to the tenant throws <see cref="StoreConflictException"/>.
    /// </summary>
    Task<bool> UpsertSiteUserAsync(string tenantId, string siteId, string userName, string role, string passwordHash, CancellationToken cancellationToken = default);

    /// <summary>The site's users by name; null when the tenant has no such site.</summary>
    Task<IReadOnlyList<SiteUserRecord>?> ListSiteUsersAsync(string tenantId, string siteId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes the site user and tells the site; false when the site has no such user. A site unknown to the
    /// tenant throws <see cref="StoreConflictException"/>.
    /// </summary>
    Task<bool> RemoveSiteUserAsync(string tenantId, string siteId, string userName, CancellationToken cancellationToken = default);
}

/// <summary>Read-only views of the fleet as the tenant's sites reported it.</summary>
public interface IFleetReadStore
{
    /// <summary>Devices of one site of the tenant, or of all its sites when <paramref name="siteId"/> is null; ordered by site, then device.</summary>
    Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(string tenantId, string? siteId = null, CancellationToken cancellationToken = default);

    /// <summary>A device's lifecycle transitions, in the site's sequence order (empty for a site of another tenant).</summary>
    Task<IReadOnlyList<TransitionRecord>> ListTransitionsAsync(string tenantId, string siteId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>Every device with this id across the tenant's sites (more than one when two sites use the same id), ordered by site.</summary>
    Task<IReadOnlyList<DeviceRecord>> FindDeviceAsync(string tenantId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>The devices of a group that are not retired, of one site of the tenant or all its sites; ordered by site, then device.</summary>
    Task<IReadOnlyList<DeviceRecord>> ListGroupAsync(string tenantId, string group, string? siteId = null, CancellationToken cancellationToken = default);

    /// <summary>Per site of the tenant: how many devices, how many compliant.</summary>
    Task<IReadOnlyList<SiteCompliance>> ComplianceAsync(string tenantId, CancellationToken cancellationToken = default);
}

/// <summary>API tokens for central IT's REST calls (the CLI).</summary>
public interface IAdminTokens
{
    /// <summary>
    /// Creates a token of the tenant, not bound to an account and without expiry (the hub operator's
    /// <c>admin-token create</c>), and returns it in clear, once; only its SHA-256 is kept. An unknown
    /// tenant throws <see cref="StoreConflictException"/>.
    /// </summary>
    Task<string> CreateApiTokenAsync(string tenantId, string name, CancellationToken cancellationToken = default);

    /// <summary>Who the token speaks for, or null for an unknown or expired token.</summary>
    Task<ApiCaller?> AuthenticateApiTokenAsync(string token, CancellationToken cancellationToken = default);
}

/// <summary>The hub's package signing key: one for the whole hub, shared by every replica through the database.</summary>
public interface ISigningKeyStore
{
    /// <summary>
    /// The signing key as PKCS#8 PEM, created on the first call. Creation holds the catalog lock, so replicas
    /// starting together create one key between them; it appends <c>PackageSigningKey</c> to every site's feed
    /// in the same transaction (sites registered before the key existed learn it that way).
    /// </summary>
    Task<string> EnsureSigningKeyAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Each tenant's signed package manifests (the files are in the blob directory, see <c>Packages/IBlobStore</c>).
/// A package of another tenant is treated as one that does not exist.
/// </summary>
public interface IPackageStore
{
    /// <summary>
    /// Records a signed manifest for the tenant and appends <c>PackagePublished</c> to every site of the tenant,
    /// in one transaction under the catalog lock. The same bytes (sha256) under the same package name and version
    /// code are <see cref="PublishResult.AlreadyPublished"/> (nothing changes, the stored manifest is returned); the
    /// same bytes as another version, or the same version with other bytes, are <see cref="PublishResult.Conflict"/>
    /// with the package in the way. An unknown tenant throws <see cref="StoreConflictException"/>.
    /// </summary>
    Task<PublishOutcome> PublishPackageAsync(string tenantId, SignedManifest manifest, string keyId, CancellationToken cancellationToken = default);

    /// <summary>The tenant's packages (of one package name when given), by name then version code.</summary>
    Task<IReadOnlyList<PublishedPackage>> ListPackagesAsync(string tenantId, string? packageName = null, CancellationToken cancellationToken = default);

    /// <summary>The tenant's package with these bytes, or null.</summary>
    Task<PublishedPackage?> FindPackageAsync(string tenantId, string sha256, CancellationToken cancellationToken = default);

    /// <summary>The tenant's package with this name and version code, or null.</summary>
    Task<PublishedPackage?> FindPackageVersionAsync(string tenantId, string packageName, long versionCode, CancellationToken cancellationToken = default);

    /// <summary>The size of the blob when it is a package of the site's tenant (what a site may fetch); null otherwise.</summary>
    Task<long?> PackageSizeForSiteAsync(string siteId, string sha256, CancellationToken cancellationToken = default);
}

/// <summary>The rollouts blueprint upserts started (see <see cref="ICatalogStore.UpsertBlueprintAsync"/>).</summary>
public interface IRolloutStore
{
    /// <summary>Every rollout of the package in the tenant, current and superseded, by group then start.</summary>
    Task<IReadOnlyList<RolloutRecord>> ListRolloutsAsync(string tenantId, string packageName, CancellationToken cancellationToken = default);
}

/// <summary>
/// One rollout: the group's app moving from one version code to another under <paramref name="Plan"/> (the plan
/// the blueprint names now). <paramref name="SupersededAt"/> is set once a newer version, the app's removal or
/// the blueprint's deletion ended it; null for the group's current rollout of the package.
/// </summary>
public sealed record RolloutRecord(
    string RolloutId, string Group, string PackageName, long FromVersionCode, string FromVersionName,
    long ToVersionCode, string ToVersionName, Domain.Rollouts.RolloutPlan Plan, DateTimeOffset StartedAt, DateTimeOffset? SupersededAt);

/// <summary>A manifest as the hub published it: signed by the key <paramref name="KeyId"/>.</summary>
public sealed record PublishedPackage(PackageManifest Manifest, string Signature, string KeyId)
{
    public SignedManifest ToSignedManifest() => new(Manifest, Signature);
}

public enum PublishResult
{
    Created,
    AlreadyPublished,
    Conflict,
}

/// <summary>What a publish did; <paramref name="Package"/> is the new one, the one already stored, or the one in the way.</summary>
public sealed record PublishOutcome(PublishResult Result, PublishedPackage Package);

/// <summary>Everything the hub stores; the host registers one and consumers ask for the narrow part they use.</summary>
public interface IHubStore : ITenantStore, ISiteRegistry, IUpstreamStore, IFeedStore, ICatalogStore, IFleetReadStore, IAdminTokens, IAccountStore, ISiteUserStore,
    ISigningKeyStore, IPackageStore, IRolloutStore
{
    /// <summary>
    /// Lowercase hex SHA-256 over a canonical dump of all site data the hub holds (applied_through, devices,
    /// transitions, command statuses, feeds), leaving out wall-clock times of the hub's own. Two deliveries of
    /// the same changes, however faulty, must give the same digest.
    /// </summary>
    Task<string> StateDigestAsync(CancellationToken cancellationToken = default);
}

public sealed record NewSite(string SiteId, string Credential);

/// <summary>The tenant every hub has: where an existing database's records went when tenants came.</summary>
public static class TenantIds
{
    public const string Default = "default";
}

public sealed record TenantRecord(string TenantId, string Name, DateTimeOffset CreatedAt);

/// <summary>
/// Who an API token speaks for: its tenant, and the name recorded as the creator of what it does (the token's
/// name, or the account's user name for a token a sign-in issued, then also <see cref="Account"/>).
/// </summary>
public sealed record ApiCaller(string TenantId, string Name, string? Account);

public sealed record AccountRecord(string UserName, DateTimeOffset CreatedAt);

/// <summary>A site user as central IT sees it: never its password or hash.</summary>
public sealed record SiteUserRecord(string UserName, string Role, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

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
