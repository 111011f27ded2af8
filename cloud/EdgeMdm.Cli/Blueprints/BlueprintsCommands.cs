using System.Globalization;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cli.Blueprints;

/// <summary><c>blueprints apply</c>: GitOps, the hub made to hold exactly a file's blueprints.</summary>
internal static class BlueprintsCommands
{
    public static Command Create(CliSession cli)
    {
        var file = new Option<string>("--file", "-f") { Description = "YAML file with 'blueprints:' and 'stagingPlans:' (the seed file's shape); a secret written {env: NAME} is read from this environment", Required = true };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the full diff and change nothing" };
        var json = CliOptions.Json();
        var apply = new Command(
            "apply",
            "make the hub hold exactly the file's blueprints: create or update those that differ, delete groups not in the file. " +
            "Lines: '+ group X (new)', '- group Y (deleted)', '~ group Z: what changed'. Applying the same file again changes nothing.")
        {
            file, dryRun, json,
        };
        apply.SetAction(async (result, cancellationToken) =>
        {
            // The file is validated before anything is asked of the hub: a bad file sends nothing.
            var path = result.GetValue(file)!;
            var fileContent = BlueprintFile.Load(path, cli.Environment);
            using var hub = cli.Connect(result);
            var current = await hub.ListBlueprintsAsync(cancellationToken);
            var changes = BlueprintPlan.Compare(fileContent.Blueprints, current);
            var planChanges = await StagingPlanChanges.CompareAsync(hub, fileContent.StagingPlans, cancellationToken);
            var isDryRun = result.GetValue(dryRun);
            var asJson = result.GetValue(json);
            if (!asJson)
            {
                foreach (var change in planChanges)
                    await cli.Output.WriteLineAsync(change.Line);
                foreach (var change in changes)
                    await cli.Output.WriteLineAsync(change.Line);
            }

            if (!isDryRun)
            {
                // Plans first (a blueprint may name only a plan the hub holds), then blueprints' creates and
                // updates, their deletions, and plans last (the hub refuses to delete a plan a blueprint names):
                // a failure half-way leaves groups that still have a blueprint rather than devices without one.
                foreach (var change in planChanges.Where(c => c.Kind != ChangeKind.Delete))
                    await hub.PutStagingPlanAsync(change.Plan!, cancellationToken);
                foreach (var change in changes.Where(c => c.Kind != ChangeKind.Delete))
                    await hub.PutBlueprintAsync(change.Blueprint!, cancellationToken);
                foreach (var change in changes.Where(c => c.Kind == ChangeKind.Delete))
                    await hub.DeleteBlueprintAsync(change.Group, cancellationToken);
                foreach (var change in planChanges.Where(c => c.Kind == ChangeKind.Delete))
                    await hub.DeleteStagingPlanAsync(change.Name, cancellationToken);
            }

            var rows = changes.Select(c => new ChangeRow(c.Kind.ToString().ToLowerInvariant(), c.Group, c.Details)).ToList();
            var planRows = planChanges.Select(c => new PlanChangeRow(c.Kind.ToString().ToLowerInvariant(), c.Name, c.Details)).ToList();
            return cli.Print(result, json, new ApplyResult(isDryRun, rows, planRows), CliJson.Default.ApplyResult, () => cli.Output.WriteLine(Summary(changes, planChanges, isDryRun)));
        });
        return new Command("blueprints", "desired state per device group, kept in git and applied to the hub") { apply };
    }

    private static string Summary(IReadOnlyList<BlueprintChange> changes, IReadOnlyList<StagingPlanChange> planChanges, bool dryRun)
    {
        if (changes.Count == 0 && planChanges.Count == 0)
            return "no changes";
        var counts = $"{Count(changes.Select(c => c.Kind), ChangeKind.Create)} to create, {Count(changes.Select(c => c.Kind), ChangeKind.Update)} to change, {Count(changes.Select(c => c.Kind), ChangeKind.Delete)} to delete";
        if (planChanges.Count > 0)
        {
            var kinds = planChanges.Select(c => c.Kind).ToList();
            counts += $"; staging plans: {Count(kinds, ChangeKind.Create)} to create, {Count(kinds, ChangeKind.Update)} to change, {Count(kinds, ChangeKind.Delete)} to delete";
        }

        return dryRun ? $"dry run: {counts}; nothing was sent" : $"applied: {counts.Replace(" to ", " ", StringComparison.Ordinal)}";
    }

    private static string Count(IEnumerable<ChangeKind> kinds, ChangeKind kind) =>
        kinds.Count(k => k == kind).ToString(CultureInfo.InvariantCulture);
}
