namespace EdgeMdm.Cloud.Enrollment;

/// <summary>Enrollment tokens for a site's devices, each for a group that has a blueprint.</summary>
internal static class EnrollmentApi
{
    public static RouteGroupBuilder MapEnrollmentApi(this RouteGroupBuilder api)
    {
        api.MapPost("/sites/{siteId}/tokens", IssueTokenAsync).RequireAuthorization(HubAuthorization.Operate);
        return api;
    }

    private static async Task<IResult> IssueTokenAsync(
        string siteId, HttpContext http, ISiteRegistry sites, IBlueprintStore blueprints, IEnrollmentTokenStore tokens, TimeProvider time, CancellationToken ct)
    {
        var tenant = HubApi.Tenant(http);
        var (body, problem) = await JsonBody.ReadForSiteAsync(http.Request, sites, tenant, siteId, ApiJson.Default.IssueTokenRequest, ct);
        if (problem is not null)
            return problem;
        var v = new Validation();
        try
        {
            var issued = await EnrollmentTokens.IssueAsync(tenant, siteId, body!, blueprints, tokens, time, v, ct);
            return issued is null
                ? v.Problem()
                : TypedResults.Json(issued, ApiJson.Default.TokenIssued, statusCode: StatusCodes.Status201Created);
        }
        catch (StoreConflictException)
        {
            return Problems.NoSite(siteId);
        }
    }
}

public sealed record IssueTokenRequest(string? Group, long? Uses, long? ExpiresInSeconds);

public sealed record TokenIssued(string Token, string Group, uint Uses, DateTimeOffset ExpiresAt);

/// <summary>
/// Issuing a site's enrollment token (a batch's): the REST API's <c>POST /api/v1/sites/{siteId}/tokens</c> and the
/// console's site page use this, so both refuse the same requests and issue the same tokens.
/// </summary>
public static class EnrollmentTokens
{
    /// <summary>
    /// Checks <paramref name="request"/> into <paramref name="v"/> (a group with a blueprint, 1–1,000,000 uses, a lifetime
    /// of a minute to a year and a day) and issues the token; null when it is refused (the errors are in <paramref name="v"/>).
    /// A site the tenant does not have throws <see cref="StoreConflictException"/>.
    /// </summary>
    internal static async Task<TokenIssued?> IssueAsync(
        string tenant, string siteId, IssueTokenRequest request, IBlueprintStore blueprints, IEnrollmentTokenStore tokens, TimeProvider time,
        Validation v, CancellationToken ct)
    {
        v.GroupName("group", request.Group);
        v.Range("uses", request.Uses, 1, 1_000_000, required: true);
        v.Range("expiresInSeconds", request.ExpiresInSeconds, 60, Validation.MaxExpirySeconds, required: true);
        if (v.Valid && !(await blueprints.ListBlueprintsAsync(tenant, ct)).Any(b => string.Equals(b.Group, request.Group, StringComparison.Ordinal)))
            v.Add("group", $"'{request.Group}' has no blueprint; PUT /api/v1/blueprints/{request.Group} first");
        if (!v.Valid)
            return null;
        var expiresAt = time.GetUtcNow().AddSeconds(request.ExpiresInSeconds!.Value);
        var token = await tokens.IssueTokenAsync(tenant, siteId, request.Group!, (uint)request.Uses!.Value, expiresAt, ct);
        return new TokenIssued(token, request.Group!, (uint)request.Uses.Value, expiresAt);
    }
}
