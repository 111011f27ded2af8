using System.Globalization;

namespace EdgeMdm.Cli.Blueprints;

/// <summary><c>blueprints apply</c>: GitOps, the hub made to hold exactly a file's blueprints.</summary>
internal static class BlueprintsCommands
{
    public static Command Create(CliSession cli)
    {
        var file = new Option<string>("--file", "-f") { Description = "YAML file with 'blueprints:' (the seed file's shape)", Required = true };
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
            var desired = BlueprintFile.Load(path);
            using var hub = cli.Connect(result);
            var current = await hub.ListBlueprintsAsync(cancellationToken);
            var changes = BlueprintPlan.Compare(desired, current);
            var isDryRun = result.GetValue(dryRun);
            var asJson = result.GetValue(json);
            if (!asJson)
            {
                foreach (var change in changes)
                    await cli.Output.WriteLineAsync(change.Line);
            }

            if (!isDryRun)
            {
                // Creates and updates first, deletions last: a failure half-way leaves groups that still
                // have a blueprint rather than devices without one.
                foreach (var change in changes.Where(c => c.Kind != ChangeKind.Delete))
                    await hub.PutBlueprintAsync(change.Blueprint!, cancellationToken);
                foreach (var change in changes.Where(c => c.Kind == ChangeKind.Delete))
                    await hub.DeleteBlueprintAsync(change.Group, cancellationToken);
            }

            var rows = changes.Select(c => new ChangeRow(c.Kind.ToString().ToLowerInvariant(), c.Group, c.Details)).ToList();
            return cli.Print(result, json, new ApplyResult(isDryRun, rows), CliJson.Default.ApplyResult, () => cli.Output.WriteLine(Summary(changes, isDryRun)));
        });
        return new Command("blueprints", "desired state per device group, kept in git and applied to the hub") { apply };
    }

    private static string Summary(IReadOnlyList<BlueprintChange> changes, bool dryRun)
    {
        if (changes.Count == 0)
            return "no changes";
        var counts = $"{Count(changes, ChangeKind.Create)} to create, {Count(changes, ChangeKind.Update)} to change, {Count(changes, ChangeKind.Delete)} to delete";
        return dryRun ? $"dry run: {counts}; nothing was sent" : $"applied: {counts.Replace(" to ", " ", StringComparison.Ordinal)}";
    }

    private static string Count(IReadOnlyList<BlueprintChange> changes, ChangeKind kind) =>
        changes.Count(c => c.Kind == kind).ToString(CultureInfo.InvariantCulture);
}
