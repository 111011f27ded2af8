namespace EdgeMdm.Cloud.Enrollment;

/// <summary>Enrollment tokens for a site's devices, each for a group that has a blueprint.</summary>
internal static class EnrollmentApi
{
    public static RouteGroupBuilder MapEnrollmentApi(this RouteGroupBuilder api)
    {
        api.MapPost("/sites/{siteId}/tokens", IssueTokenAsync);
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
        v.GroupName("group", body!.Group);
        v.Range("uses", body.Uses, 1, 1_000_000, required: true);
        v.Range("expiresInSeconds", body.ExpiresInSeconds, 60, Validation.MaxExpirySeconds, required: true);
        if (v.Valid && !(await blueprints.ListBlueprintsAsync(tenant, ct)).Any(b => string.Equals(b.Group, body.Group, StringComparison.Ordinal)))
            v.Add("group", $"'{body.Group}' has no blueprint; PUT /api/v1/blueprints/{body.Group} first");
        if (!v.Valid)
            return v.Problem();
        var expiresAt = time.GetUtcNow().AddSeconds(body.ExpiresInSeconds!.Value);
        try
        {
            var token = await tokens.IssueTokenAsync(tenant, siteId, body.Group!, (uint)body.Uses!.Value, expiresAt, ct);
            return TypedResults.Json(new TokenIssued(token, body.Group!, (uint)body.Uses.Value, expiresAt), ApiJson.Default.TokenIssued,
                statusCode: StatusCodes.Status201Created);
        }
        catch (StoreConflictException)
        {
            return Problems.NoSite(siteId);
        }
    }
}

public sealed record IssueTokenRequest(string? Group, long? Uses, long? ExpiresInSeconds);

public sealed record TokenIssued(string Token, string Group, uint Uses, DateTimeOffset ExpiresAt);
