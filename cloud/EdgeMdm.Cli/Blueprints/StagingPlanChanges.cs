using EdgeMdm.Cli.Hub;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.Cli.Blueprints;

/// <summary>One staging plan's change: what apply sends (<c>Plan</c>, null for a delete) and the lines a dry run shows.</summary>
public sealed record StagingPlanChange(ChangeKind Kind, string Name, StagingPlan? Plan, IReadOnlyList<string> Details)
{
    /// <summary><c>+ staging plan X (new)</c>, <c>- staging plan Y (deleted)</c>, <c>~ staging plan Z: steps[3].psk changed; ...</c>.</summary>
    public string Line => Kind switch
    {
        ChangeKind.Create => $"+ staging plan {Name} (new): {string.Join("; ", Details)}",
        ChangeKind.Delete => $"- staging plan {Name} (deleted)",
        _ => $"~ staging plan {Name}: {string.Join("; ", Details)}",
    };
}

/// <summary>
/// What makes the hub hold exactly the file's staging plans. The hub holds the secrets and the CLI never reads them
/// back, so the hub compares each plan (<c>POST /staging-plans/{name}/compare</c>) and says which fields differ.
/// </summary>
internal static class StagingPlanChanges
{
    public static async Task<IReadOnlyList<StagingPlanChange>> CompareAsync(HubClient hub, IReadOnlyList<StagingPlan> desired, CancellationToken cancellationToken)
    {
        var held = (await hub.ListStagingPlansAsync(cancellationToken)).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var changes = new List<StagingPlanChange>();
        foreach (var plan in desired.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (!held.Contains(plan.Name))
            {
                changes.Add(new StagingPlanChange(ChangeKind.Create, plan.Name, plan, plan.Steps.Select(StagingPlanDiff.Describe).ToList()));
                continue;
            }

            var comparison = await hub.CompareStagingPlanAsync(plan, cancellationToken);
            if (comparison.Changes.Count > 0)
                changes.Add(new StagingPlanChange(ChangeKind.Update, plan.Name, plan, comparison.Changes));
        }

        var wanted = desired.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in held.Where(n => !wanted.Contains(n)).Order(StringComparer.Ordinal))
            changes.Add(new StagingPlanChange(ChangeKind.Delete, name, null, []));
        return changes;
    }
}
