using System.Globalization;
using System.Text.Json;
using EdgeMdm.Cloud.WebConsole.Pages;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.GitOps;
using EdgeMdm.ServiceDefaults.WebSignIn;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// The form that previews or applies pasted blueprints: <see cref="Text"/> is what <c>edgemdm blueprints apply -f</c>
/// reads (YAML with <c>blueprints:</c>) or one blueprint's JSON as <c>PUT /api/v1/blueprints/{group}</c> takes it;
/// <see cref="Op"/> is <c>preview</c> or <c>apply</c>.
/// </summary>
internal sealed class BlueprintForm
{
    public string? Text { get; set; }

    public string? Op { get; set; }
}

/// <summary>The form that deletes one group's blueprint.</summary>
internal sealed class BlueprintDeleteForm
{
    public string? Group { get; set; }
}

/// <summary>What the blueprints page shows: the tenant's blueprints, and a pasted text with its preview or its errors.</summary>
public sealed record BlueprintsView(IReadOnlyList<Blueprint> Current, string? Text, IReadOnlyList<BlueprintChange>? Preview, IReadOnlyList<string> Errors);

/// <summary>
/// Central IT's blueprints at <c>/blueprints</c>: each group's blueprint as it stands, a pasted blueprint's diff against
/// it (<see cref="BlueprintPlan"/>, as <c>edgemdm blueprints apply --dry-run</c> shows it), "apply" as
/// <c>PUT /api/v1/blueprints/{group}</c> does (<see cref="BlueprintRules"/>), and a group's blueprint deleted as
/// <c>DELETE /api/v1/blueprints/{group}</c> does.
/// </summary>
internal static partial class BlueprintPages
{
    /// <summary>The longest text the form takes: far more than any real blueprints file.</summary>
    public const int MaxText = 256 * 1024;

    public static void Map(RouteGroupBuilder pages)
    {
        pages.MapGet("/blueprints", async (string? applied, string? deleted, HttpContext http, IBlueprintStore blueprints, CancellationToken ct) =>
            Page(http, StatusCodes.Status200OK, new BlueprintsView(await blueprints.ListBlueprintsAsync(ConsoleAccess.Tenant(http.User), ct), null, null, []), applied, deleted));
        pages.MapPost("/blueprints", PasteAsync).AddEndpointFilter<SameOrigin>();
        pages.MapPost("/blueprints/delete", DeleteAsync).AddEndpointFilter<SameOrigin>();
    }

    private static async Task<IResult> PasteAsync(
        [FromForm] BlueprintForm form, HttpContext http, IBlueprintStore blueprints, Staging.IStagingPlanStore plans, ILogger<BlueprintForm> log, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        var current = await blueprints.ListBlueprintsAsync(tenant, ct);
        var text = form.Text ?? "";
        var knownPlans = (await plans.ListPlansAsync(tenant, ct)).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var (pasted, errors) = Parse(text, knownPlans);
        var checkedOnes = new List<Blueprint>();
        foreach (var (body, index) in pasted.Select((b, i) => (b, i)))
        {
            var v = new Validation();
            var group = body.Group ?? "";
            var blueprint = await BlueprintRules.CheckAsync(tenant, group, body, plans, v, ct);
            var name = group.Length > 0 ? $"group {group}" : $"blueprint {(index + 1).ToString(CultureInfo.InvariantCulture)}";
            errors.AddRange(v.Errors.Select(e => $"{name}: {e.Key} {string.Join("; ", e.Value)}"));
            checkedOnes.Add(blueprint);
        }

        if (errors.Count == 0 && checkedOnes.GroupBy(b => b.Group, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            errors.Add($"group {twice.Key} is given twice");
        if (errors.Count > 0)
            return Page(http, StatusCodes.Status422UnprocessableEntity, new BlueprintsView(current, text, null, errors));

        var groups = checkedOnes.Select(b => b.Group).ToHashSet(StringComparer.Ordinal);
        var changes = BlueprintPlan.Compare(checkedOnes, current.Where(b => groups.Contains(b.Group)).ToList());
        if (!string.Equals(form.Op, "apply", StringComparison.Ordinal))
            return Page(http, StatusCodes.Status200OK, new BlueprintsView(current, text, changes, []));

        // Every blueprint was checked before the first is stored: a bad one stores none.
        var actor = ConsoleAccess.Actor(http.User);
        foreach (var blueprint in checkedOnes)
        {
            var (existed, changed) = await BlueprintRules.SaveAsync(tenant, blueprint, blueprints, ct);
            LogApplied(log, actor, tenant, blueprint.Group, existed ? "updated" : "created", changed);
        }

        return Results.Redirect("/blueprints?applied=" + Uri.EscapeDataString(string.Join(",", groups.Order(StringComparer.Ordinal))));
    }

    private static async Task<IResult> DeleteAsync(
        [FromForm] BlueprintDeleteForm form, HttpContext http, IBlueprintStore blueprints, ILogger<BlueprintForm> log, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        var group = form.Group ?? "";
        if (group.Length == 0 || !await blueprints.DeleteBlueprintAsync(tenant, group, ct))
            return ConsoleMissing.Page(http, "Blueprints", $"Group '{group}' has no blueprint.");
        var actor = ConsoleAccess.Actor(http.User);
        LogDeleted(log, actor, tenant, group);
        return Results.Redirect("/blueprints?deleted=" + Uri.EscapeDataString(group));
    }

    /// <summary>
    /// The pasted blueprints: one blueprint's JSON (it starts with <c>{</c> and has no <c>blueprints</c> member), or a
    /// blueprints file as the CLI reads it, whose blueprints may name the staging plans the tenant holds
    /// (<paramref name="knownPlans"/>). Staging plans are the CLI's to apply (their secrets come from its environment).
    /// </summary>
    internal static (IReadOnlyList<Blueprint> Blueprints, List<string> Errors) Parse(string text, IReadOnlySet<string> knownPlans)
    {
        if (string.IsNullOrWhiteSpace(text))
            return ([], ["Paste a blueprint first."]);
        if (text.Length > MaxText)
            return ([], [$"The text is longer than {(MaxText / 1024).ToString(CultureInfo.InvariantCulture)} KiB."]);
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{') && !trimmed.Contains("\"blueprints\"", StringComparison.Ordinal))
        {
            try
            {
                var one = JsonSerializer.Deserialize(trimmed, ApiJson.Default.Blueprint);
                return one is null ? ([], ["The JSON is null, not a blueprint."]) : ([one], []);
            }
            catch (JsonException exception)
            {
                return ([], ["Not a blueprint's JSON: " + exception.Message]);
            }
        }

        try
        {
            var file = BlueprintYaml.ParseFile(text, "pasted text", required: true, static _ => null, knownPlans);
            if (file.StagingPlans.Count > 0)
                return ([], ["The text has stagingPlans: apply staging plans with 'edgemdm blueprints apply -f FILE' (their secrets come from its environment); paste the blueprints alone here."]);
            return file.Blueprints.Count == 0 ? ([], ["The text holds no blueprint."]) : (file.Blueprints, []);
        }
        catch (BlueprintFileException exception)
        {
            return ([], [exception.Message]);
        }
    }

    private static RazorComponentResult<BlueprintsPage> Page(HttpContext http, int status, BlueprintsView view, string? applied = null, string? deleted = null) =>
        ConsolePages.RenderWithStatus<BlueprintsPage>(http, status, ("View", view), ("Applied", applied), ("Deleted", deleted));

    [LoggerMessage(EventId = 2330, Level = LogLevel.Information, Message = "Console: {Actor} applied the blueprint of group {Group} in tenant {Tenant} ({Kind}, changed: {Changed})")]
    private static partial void LogApplied(ILogger log, string actor, string tenant, string group, string kind, bool changed);

    [LoggerMessage(EventId = 2331, Level = LogLevel.Information, Message = "Console: {Actor} deleted the blueprint of group {Group} in tenant {Tenant}")]
    private static partial void LogDeleted(ILogger log, string actor, string tenant, string group);
}
