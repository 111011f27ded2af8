using EdgeMdm.Cloud.Storage;

namespace EdgeMdm.Cloud.Api;

// The REST API's bodies. Request fields are nullable so that a missing one is answered 400 naming it, not a
// deserialisation error.

public sealed record CreateSiteRequest(string? Name);

public sealed record SiteCreated(string SiteId, string Credential);

/// <summary>
/// A site as central IT sees it. <c>Backlog</c> and <c>LagSeconds</c> are null until the site reported its
/// sync in a Hello (see <see cref="SiteSummary.Backlog"/> and <see cref="SiteSummary.Lag"/> for the formulas);
/// <c>UplinkState</c>, <c>OldestPendingAt</c> and <c>ReportedAt</c> are that report.
/// </summary>
public sealed record SiteView(
    string SiteId, string Name, DateTimeOffset? LastSyncAt, ulong AppliedThrough, ulong FeedHead,
    ulong? Backlog, long? LagSeconds, string? UplinkState, DateTimeOffset? OldestPendingAt, DateTimeOffset? ReportedAt)
{
    public static SiteView Of(SiteSummary s, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(
            s.SiteId, s.Name, s.LastSyncAt, s.AppliedThrough, s.FeedHead,
            s.Backlog, s.Lag(now) is { } lag ? (long)lag.TotalSeconds : null, s.Report?.UplinkState, s.Report?.OldestPendingAt, s.ReportedAt);
    }
}

/// <summary>Answer to a blueprint PUT; <c>Changed</c> false means the content was already current and nothing was fed to sites.</summary>
public sealed record BlueprintSaved(string Group, string DeclarationsToken, bool Changed);

public sealed record IssueTokenRequest(string? Group, long? Uses, long? ExpiresInSeconds);

public sealed record TokenIssued(string Token, string Group, uint Uses, DateTimeOffset ExpiresAt);

/// <summary>A command for one device (<c>DeviceId</c>, <c>SiteId</c> optional when the id is unique) or for a <c>Group</c>.</summary>
public sealed record QueueCommandRequest(
    string? SiteId, string? DeviceId, string? Type, IReadOnlyDictionary<string, string?>? Parameters, long? ExpiresInSeconds,
    string? Group = null, string? Reason = null);

/// <summary>Answer for one device; <c>SiteId</c> is the site the command goes through (found by the hub when not given).</summary>
public sealed record CommandQueued(string CommandId, string? SiteId = null);

/// <summary>Answer for a group: one command per device, and the devices in the same order.</summary>
public sealed record CommandsQueued(string Group, IReadOnlyList<string> CommandIds, IReadOnlyList<CommandTarget> Devices);

/// <summary>POST /login: <c>Tenant</c> null means the default tenant.</summary>
public sealed record LoginRequest(string? User, string? Password, string? Tenant);

public sealed record SignedIn(string Token, string Tenant, string User, DateTimeOffset ExpiresAt);

/// <summary>A new account; <c>Password</c> null asks the hub to generate one.</summary>
public sealed record AddAccountRequest(string? UserName, string? Password);

/// <summary>Answer to a new account: <c>Password</c> is the generated one (shown this once), null when the caller gave it.</summary>
public sealed record AccountAdded(string UserName, string? Password);

public sealed record AccountView(string UserName, DateTimeOffset CreatedAt);

/// <summary>A site user to create or change; <c>Password</c> null asks the hub to generate one.</summary>
public sealed record SiteUserRequest(string? UserName, string? Role, string? Password);

/// <summary>Answer to a site user saved: <c>Password</c> is the generated one (shown this once), null when the caller gave it.</summary>
public sealed record SiteUserSaved(string SiteId, string UserName, string Role, bool Created, string? Password);

/// <summary>The key package manifests are signed with: its id (SHA-256 hex of the DER) and SubjectPublicKeyInfo PEM.</summary>
public sealed record SigningKeyView(string KeyId, string PublicKeyPem);

/// <summary>A signed package manifest; <c>MinOsVersion</c> null means any OS, <c>PublishedAt</c> is whole seconds, as signed.</summary>
public sealed record PackageView(
    string Sha256, string PackageName, long VersionCode, string VersionName, long SizeBytes, string? MinOsVersion,
    DateTimeOffset PublishedAt, string Signature, string KeyId)
{
    public static PackageView Of(PublishedPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        var m = package.Manifest;
        return new(m.Sha256, m.PackageName, m.VersionCode, m.VersionName, m.SizeBytes, m.MinOsVersion, m.PublishedAt, package.Signature, package.KeyId);
    }
}
