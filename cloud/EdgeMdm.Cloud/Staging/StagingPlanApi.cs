using System.Text.Json;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.Cloud.Staging;

/// <summary>
/// Central IT's staging plans: list, get, put (validated whole, every bad field named), delete, and compare (what a
/// put would change, for <c>edgemdm blueprints apply --dry-run</c>). What is shown never holds a secret: list and
/// get give the redacted plan, compare says "changed" of a secret. The sites' step reports: <c>GET /sites/{id}/staging</c>.
/// </summary>
internal static class StagingPlanApi
{
    public static RouteGroupBuilder MapStagingApi(this RouteGroupBuilder api)
    {
        api.MapGet("/staging-plans", async (HttpContext http, IStagingPlanStore plans, CancellationToken ct) =>
            TypedResults.Json((await plans.ListPlansAsync(HubApi.Tenant(http), ct)).Select(View).ToList(), ApiJson.Default.ListStagingPlanView)).RequireAuthorization(HubAuthorization.Read);
        api.MapGet("/staging-plans/{name}", async (string name, HttpContext http, IStagingPlanStore plans, CancellationToken ct) =>
            await plans.GetPlanAsync(HubApi.Tenant(http), name, ct) is { } plan
                ? TypedResults.Json(View(plan), ApiJson.Default.StagingPlanView)
                : Problems.NotFound($"no staging plan '{name}'")).RequireAuthorization(HubAuthorization.Read);
        api.MapPut("/staging-plans/{name}", PutAsync).RequireAuthorization(HubAuthorization.Operate);
        api.MapPost("/staging-plans/{name}/compare", CompareAsync).RequireAuthorization(HubAuthorization.Read);
        api.MapDelete("/staging-plans/{name}", DeleteAsync).RequireAuthorization(HubAuthorization.Operate);
        api.MapGet("/sites/{siteId}/staging", async (string siteId, HttpContext http, IStagingProgressStore progress, CancellationToken ct) =>
            await progress.SiteProgressAsync(HubApi.Tenant(http), siteId, ct) is { } steps
                ? TypedResults.Json(steps.ToList(), ApiJson.Default.ListStagingStepRecord)
                : Problems.NoSite(siteId)).RequireAuthorization(HubAuthorization.Read);
        return api;
    }

    private static async Task<IResult> PutAsync(string name, HttpContext http, IStagingPlanStore plans, CancellationToken ct)
    {
        var (plan, problem) = await ReadPlanAsync(name, http);
        if (problem is not null)
            return problem;
        var tenant = HubApi.Tenant(http);
        var existed = await plans.GetPlanAsync(tenant, name, ct) is not null;
        var changed = await plans.UpsertPlanAsync(tenant, plan!, ct);
        return TypedResults.Json(new StagingPlanSaved(name, plan!.ContentHash(), changed), ApiJson.Default.StagingPlanSaved,
            statusCode: existed ? StatusCodes.Status200OK : StatusCodes.Status201Created);
    }

    private static async Task<IResult> CompareAsync(string name, HttpContext http, IStagingPlanStore plans, CancellationToken ct)
    {
        var (plan, problem) = await ReadPlanAsync(name, http);
        if (problem is not null)
            return problem;
        var changes = await plans.CompareAsync(HubApi.Tenant(http), plan!, ct);
        return TypedResults.Json(new StagingPlanComparison(name, changes is not null, changes ?? []), ApiJson.Default.StagingPlanComparison);
    }

    private static async Task<IResult> DeleteAsync(string name, HttpContext http, IStagingPlanStore plans, IBlueprintStore blueprints, CancellationToken ct)
    {
        var tenant = HubApi.Tenant(http);
        var namedBy = (await blueprints.ListBlueprintsAsync(tenant, ct)).Where(b => string.Equals(b.StagingPlan, name, StringComparison.Ordinal)).Select(b => b.Group).ToList();
        if (namedBy.Count > 0)
            return Problems.Conflict($"staging plan '{name}' is named by the blueprint of {string.Join(", ", namedBy)}; change those first");
        return await plans.DeletePlanAsync(tenant, name, ct) ? Results.NoContent() : Problems.NotFound($"no staging plan '{name}'");
    }

    /// <summary>The body's plan (clear JSON: it carries the secrets), named as the path names it, checked whole.</summary>
    private static async Task<(StagingPlan? Plan, IResult? Problem)> ReadPlanAsync(string name, HttpContext http)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, StagingPlanJson.Clear.StagingPlan);
        if (problem is not null)
            return (null, problem);
        var v = new Validation();
        if (body!.Name is { Length: > 0 } named && !string.Equals(named, name, StringComparison.Ordinal))
            v.Add("name", $"is '{named}' in the body but '{name}' in the path");
        var plan = body with { Name = name, Steps = body.Steps ?? [] };
        foreach (var (field, messages) in plan.Validate())
            v.Add(field, string.Join("; ", messages));
        return v.Valid ? (plan, null) : (null, v.Problem());
    }

    private static StagingPlanView View(StoredStagingPlan plan) => new(plan.Name, plan.ContentHash, plan.UpdatedAt, plan.Plan);
}

/// <summary>A plan as the API shows it: <c>plan</c> is the redacted JSON (each secret "(secret)").</summary>
public sealed record StagingPlanView(string Name, string ContentHash, DateTimeOffset UpdatedAt, JsonElement Plan);

/// <summary>Answer to a plan PUT; <c>Changed</c> false means the same plan (secrets included) was already stored and nothing was fed.</summary>
public sealed record StagingPlanSaved(string Name, string ContentHash, bool Changed);

/// <summary>What a PUT of the plan would change: <c>Exists</c> false means it would be created.</summary>
public sealed record StagingPlanComparison(string Name, bool Exists, IReadOnlyList<string> Changes);
