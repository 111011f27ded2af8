using EdgeMdm.Cloud.Storage;

namespace EdgeMdm.Cloud.Api;

// The REST API's bodies. Request fields are nullable so that a missing one is answered 400 naming it, not a
// deserialisation error.

public sealed record CreateSiteRequest(string? Name);

public sealed record SiteCreated(string SiteId, string Credential);

public sealed record SiteView(string SiteId, string Name, DateTimeOffset? LastSyncAt, ulong AppliedThrough, ulong FeedHead)
{
    public static SiteView Of(SiteSummary s) => new(s.SiteId, s.Name, s.LastSyncAt, s.AppliedThrough, s.FeedHead);
}

/// <summary>Answer to a blueprint PUT; <c>Changed</c> false means the content was already current and nothing was fed to sites.</summary>
public sealed record BlueprintSaved(string Group, string DeclarationsToken, bool Changed);

public sealed record IssueTokenRequest(string? Group, long? Uses, long? ExpiresInSeconds);

public sealed record TokenIssued(string Token, string Group, uint Uses, DateTimeOffset ExpiresAt);

public sealed record QueueCommandRequest(
    string? SiteId, string? DeviceId, string? Type, IReadOnlyDictionary<string, string?>? Parameters, long? ExpiresInSeconds);

public sealed record CommandQueued(string CommandId);
