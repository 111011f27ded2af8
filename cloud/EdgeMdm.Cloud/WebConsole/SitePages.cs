using System.Globalization;
using EdgeMdm.Cloud.WebConsole.Pages;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.ServiceDefaults.WebSignIn;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>The form that starts a batch: an enrollment token for a group, for so many devices, valid so long.</summary>
internal sealed class BatchTokenForm
{
    public string? Group { get; set; }

    public string? Uses { get; set; }

    public string? ExpiresInSeconds { get; set; }
}

/// <summary>What the batch-token form shows: the values given, the errors by field, the token issued (shown once).</summary>
public sealed record BatchTokenView(string? Group, string? Uses, string? ExpiresInSeconds, IReadOnlyDictionary<string, string[]> Errors, TokenIssued? Issued)
{
    public static BatchTokenView Empty { get; } = new(null, null, null, new Dictionary<string, string[]>(StringComparer.Ordinal), null);
}

/// <summary>What the site page reads, each through its feature's public interface.</summary>
internal sealed record SiteReads(
    ISiteRegistry Sites, IFleetReadStore Fleet, ISiteUserStore Users, IStagingProgressStore Staging, IBlueprintStore Blueprints,
    IOptions<HubOptions> Options, TimeProvider Clock);

/// <summary>One site as its page shows it: sync state, compliance, users, staging progress, and the groups a batch may enroll into.</summary>
public sealed record ConsoleSiteView(
    ConsoleSite Site, IReadOnlyList<SiteUserRecord> Users, IReadOnlyList<StagingStepRecord> Staging, IReadOnlyList<Blueprint> Groups, DateTimeOffset At);

/// <summary>
/// One site's page at <c>/sites/{siteId}</c>: its sync state, users, staging progress, and "start a batch token" as
/// <c>POST /api/v1/sites/{siteId}/tokens</c> does (<see cref="EnrollmentTokens"/>), the token shown once.
/// </summary>
internal static partial class SitePages
{
    /// <summary>The most staging rows (a device's step) the page lists.</summary>
    public const int MaxStagingRows = 500;

    public static void Map(RouteGroupBuilder pages)
    {
        pages.MapGet("/sites/{siteId}", async (string siteId, HttpContext http, [AsParameters] SiteReads reads, CancellationToken ct) =>
            await ViewAsync(siteId, http, reads, StatusCodes.Status200OK, BatchTokenView.Empty, ct));
        pages.MapPost("/sites/{siteId}/tokens", IssueAsync).AddEndpointFilter<SameOrigin>();
    }

    private static async Task<IResult> IssueAsync(
        string siteId, [FromForm] BatchTokenForm form, HttpContext http, [AsParameters] SiteReads reads, IEnrollmentTokenStore tokens,
        ILogger<BatchTokenForm> log, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        if (!await reads.Sites.SiteExistsAsync(tenant, siteId, ct))
            return Missing(http, siteId);
        var v = new Validation();
        var request = new IssueTokenRequest(form.Group?.Trim(), Number(form.Uses, "uses", v), Number(form.ExpiresInSeconds, "expiresInSeconds", v));
        TokenIssued? issued = null;
        try
        {
            issued = await EnrollmentTokens.IssueAsync(tenant, siteId, request, reads.Blueprints, tokens, reads.Clock, v, ct);
        }
        catch (StoreConflictException)
        {
            return Missing(http, siteId);
        }

        if (issued is null)
            return await ViewAsync(siteId, http, reads, StatusCodes.Status422UnprocessableEntity, new BatchTokenView(form.Group, form.Uses, form.ExpiresInSeconds, v.Errors.AsReadOnly(), null), ct);
        var actor = ConsoleAccess.Actor(http.User);
        LogIssued(log, actor, tenant, siteId, issued.Group, issued.Uses, issued.ExpiresAt);
        // The clear token is in this answer only (the hub keeps its hash): no redirect that would put it in a URL.
        return await ViewAsync(siteId, http, reads, StatusCodes.Status201Created, BatchTokenView.Empty with { Issued = issued }, ct);
    }

    /// <summary>A whole number typed into the form; absent is null (the shared check says "is required"), anything else not a number is an error here.</summary>
    private static long? Number(string? text, string field, Validation v)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        if (long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            return value;
        v.Add(field, "must be a whole number");
        return null;
    }

    private static async Task<IResult> ViewAsync(string siteId, HttpContext http, SiteReads reads, int status, BatchTokenView token, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        var now = reads.Clock.GetUtcNow();
        var summary = (await reads.Sites.ListSitesAsync(tenant, ct))
            .FirstOrDefault(s => string.Equals(s.SiteId, siteId, StringComparison.Ordinal));
        if (summary is null)
            return Missing(http, siteId);
        var staleAfter = reads.Options.Value.DeviceStaleAfter;
        var compliance = (await reads.Fleet.ComplianceAsync(tenant, now, staleAfter, ct)).FirstOrDefault(c => string.Equals(c.SiteId, siteId, StringComparison.Ordinal))
            ?? new SiteCompliance(siteId, 0, 0);
        var users = await reads.Users.ListSiteUsersAsync(tenant, siteId, ct) ?? [];
        var staging = await reads.Staging.SiteProgressAsync(tenant, siteId, ct) ?? [];
        var groups = await reads.Blueprints.ListBlueprintsAsync(tenant, ct);
        var view = new ConsoleSiteView(new ConsoleSite(summary, compliance, summary.Lag(now)), users, staging, groups, now);
        return ConsolePages.RenderWithStatus<SitePage>(http, status, ("View", view), ("Token", token));
    }

    private static Microsoft.AspNetCore.Http.HttpResults.RazorComponentResult<MissingPage> Missing(HttpContext http, string siteId) => ConsoleMissing.Page(http, "Site", $"This tenant has no site '{siteId}'.");

    [LoggerMessage(EventId = 2332, Level = LogLevel.Information, Message = "Console: {Actor} issued an enrollment token at site {SiteId} of tenant {Tenant} for group {Group}, {Uses} uses, valid until {ExpiresAt}")]
    private static partial void LogIssued(ILogger log, string actor, string tenant, string siteId, string group, uint uses, DateTimeOffset expiresAt);
}
