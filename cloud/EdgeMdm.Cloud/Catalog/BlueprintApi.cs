using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Catalog;

/// <summary>Central IT's blueprints, one per group: list, put (checked item by item) and delete.</summary>
internal static class BlueprintApi
{
    public static RouteGroupBuilder MapBlueprintApi(this RouteGroupBuilder api)
    {
        api.MapGet("/blueprints", async (HttpContext http, IBlueprintStore blueprints, CancellationToken ct) =>
            TypedResults.Json((await blueprints.ListBlueprintsAsync(HubApi.Tenant(http), ct)).ToList(), ApiJson.Default.ListBlueprint)).RequireAuthorization(HubAuthorization.Read);
        api.MapPut("/blueprints/{group}", PutBlueprintAsync).RequireAuthorization(HubAuthorization.Operate);
        api.MapDelete("/blueprints/{group}", async (string group, HttpContext http, IBlueprintStore blueprints, CancellationToken ct) =>
            await blueprints.DeleteBlueprintAsync(HubApi.Tenant(http), group, ct) ? Results.NoContent() : Problems.NotFound($"group '{group}' has no blueprint")).RequireAuthorization(HubAuthorization.Operate);
        return api;
    }

    private static async Task<IResult> PutBlueprintAsync(string group, HttpContext http, IBlueprintStore blueprints, Staging.IStagingPlanStore plans, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.Blueprint);
        if (problem is not null)
            return problem;
        var v = new Validation();
        var tenant = HubApi.Tenant(http);
        var blueprint = await BlueprintRules.CheckAsync(tenant, group, body!, plans, v, ct);
        if (!v.Valid)
            return v.Problem();
        var (existed, changed) = await BlueprintRules.SaveAsync(tenant, blueprint, blueprints, ct);
        return TypedResults.Json(
            new BlueprintSaved(group, blueprint.ToDeclarations().Token, changed), ApiJson.Default.BlueprintSaved,
            statusCode: existed ? StatusCodes.Status200OK : StatusCodes.Status201Created);
    }
}

/// <summary>
/// What a blueprint put must pass, and how it is stored: the REST API's <c>PUT /api/v1/blueprints/{group}</c> and the
/// console's "apply" use these, so both refuse the same blueprints and store them the same way.
/// </summary>
public static class BlueprintRules
{
    /// <summary>
    /// The blueprint <paramref name="body"/> as it would be stored for <paramref name="group"/> (absent lists empty,
    /// the group the path's), its errors added to <paramref name="v"/> keyed by JSON path: the group's name, a body
    /// naming another group, each item, a staging plan the tenant does not have.
    /// </summary>
    internal static async Task<Blueprint> CheckAsync(
        string tenant, string group, Blueprint body, Staging.IStagingPlanStore plans, Validation v, CancellationToken ct)
    {
        v.GroupName("group", group);
        if (body.Group is { Length: > 0 } named && !string.Equals(named, group, StringComparison.Ordinal))
            v.Add("group", $"is '{named}' in the body but '{group}' in the path");
        var blueprint = Normalize(body, group, v);
        if (blueprint.StagingPlan is { } plan && await plans.GetPlanAsync(tenant, plan, ct) is null)
            v.Add("stagingPlan", $"names no staging plan of this tenant ('{plan}'): put the plan first");
        return blueprint;
    }

    /// <summary>Stores a checked blueprint (and feeds it to the sites when it changed); whether the group had one before, and whether it changed.</summary>
    internal static async Task<(bool Existed, bool Changed)> SaveAsync(string tenant, Blueprint blueprint, IBlueprintStore blueprints, CancellationToken ct)
    {
        var existed = (await blueprints.ListBlueprintsAsync(tenant, ct)).Any(b => string.Equals(b.Group, blueprint.Group, StringComparison.Ordinal));
        var changed = await blueprints.UpsertBlueprintAsync(tenant, blueprint, ct);
        return (existed, changed);
    }

    /// <summary>
    /// The blueprint with absent lists made empty (JSON may leave them out, the record says they are never
    /// null), its items checked into <paramref name="v"/>.
    /// </summary>
    private static Blueprint Normalize(Blueprint body, string group, Validation v)
    {
        // The deserialiser leaves absent members null whatever the record's annotations say.
        var apps = v.Items("apps", body.Apps, (app, at) =>
        {
            v.RequiredText(at + ".packageName", app.PackageName);
            v.Range(at + ".versionCode", app.VersionCode, 0, long.MaxValue, required: false);
            if (app.VersionName is null)
                v.Add(at + ".versionName", "is required");
            ValidateRollout(at + ".rollout", app.Rollout, v);
        });
        var configurations = v.Items("configurations", body.Configurations, (configuration, at) =>
        {
            v.RequiredText(at + ".id", configuration.Id);
            if (configuration.Values is null)
                v.Add(at + ".values", "is required");
        });
        var certificates = v.Items("certificates", body.Certificates, (certificate, at) =>
        {
            v.RequiredText(at + ".name", certificate.Name);
            v.Range(at + ".minDaysValid", certificate.MinDaysValid, 0, 3650, required: false);
        });
        v.Range("batteryHealthFloorPercent", body.BatteryHealthFloorPercent, 0, 100, required: false);
        return body with
        {
            Group = group,
            Apps = apps,
            Configurations = configurations,
            Certificates = certificates,
        };
    }

    /// <summary>An app's rollout as given: its plan, checked by the rules the sites apply it with.</summary>
    private static void ValidateRollout(string at, AppRollout? rollout, Validation v)
    {
        if (rollout is null)
            return;
        if (rollout.Plan is null)
        {
            v.Add(at + ".plan", "is required (or leave rollout out for the default plan)");
            return;
        }

        foreach (var (field, messages) in rollout.Plan.Validate())
            v.Add($"{at}.plan.{field}", string.Join("; ", messages));
    }
}

/// <summary>Answer to a blueprint PUT; <c>Changed</c> false means the content was already current and nothing was fed to sites.</summary>
public sealed record BlueprintSaved(string Group, string DeclarationsToken, bool Changed);
