using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli.Packages;

/// <summary><c>rollouts show</c>: a package's app version rollouts, group by group, as the sites report them.</summary>
internal static class RolloutsCommands
{
    public static Command Create(CliSession cli)
    {
        var packageName = new Option<string>("--package-name") { Description = "the package, e.g. com.acme.scan", Required = true };
        var site = new Option<string>("--site") { Description = "only the devices of this site" };
        var json = new Option<bool>("--json") { Description = "print the hub's answer (GET /api/v1/rollouts) as JSON" };
        var show = new Command(
            "show",
            "each group's current rollout of the package: from and to version, per site the waves (done ✓, open, closed) or why it halted, " +
            "devices by state (installed, pending, failed, incompatible, offline) and failure reason per site and in total, then the stragglers, " +
            "oldest check-in first. Judged from what the devices last reported, as of their sites' last sync")
        {
            packageName, site, json,
        };
        show.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var (answer, rollouts) = await hub.GetRolloutsAsync(result.GetValue(packageName)!, NonEmpty(result.GetValue(site)), cancellationToken);
            return cli.Print(result, json, answer, CliJson.Default.JsonElement, () =>
            {
                for (var i = 0; i < rollouts.Count; i++)
                {
                    if (i > 0)
                        cli.Output.WriteLine();
                    WriteRollout(cli.Output, rollouts[i]);
                }
            });
        });
        return new Command("rollouts", "app version rollouts that blueprint changes started, as the sites report them") { show };
    }

    private static void WriteRollout(TextWriter output, HubRollout rollout)
    {
        output.WriteLine(
            $"group {rollout.Group}: {rollout.PackageName} {Version(rollout.FromVersionCode, rollout.FromVersionName)} → " +
            $"{Version(rollout.ToVersionCode, rollout.ToVersionName)}, started {Time(rollout.StartedAt)}" +
            (rollout.MinOsVersion is { } minOs ? $", min OS {minOs}" : ""));
        var sites = rollout.Sites ?? [];
        if (sites.Count == 0)
        {
            output.WriteLine("  no device of the group has reported yet");
            return;
        }

        foreach (var s in sites)
        {
            var waves = string.Join(", ", (s.Waves ?? []).Select(w => $"{w.Label} {(string.Equals(w.State, "done", StringComparison.Ordinal) ? "✓" : w.State)}"));
            output.WriteLine(s.Halted is { } reason ? $"  {s.SiteId}: HALTED: {reason} (waves: {waves})" : $"  {s.SiteId}: waves: {waves}");
        }

        output.WriteLine();
        TextTable.Write(
            output,
            ["SITE", "DEVICES", "INSTALLED", "PENDING", "FAILED", "INCOMPATIBLE", "OFFLINE", "FAILURES"],
            sites.Select(s => CountsRow(s.SiteId ?? "", s.Counts)).Append(CountsRow("total", rollout.Total)));

        var stragglers = rollout.Stragglers ?? [];
        output.WriteLine();
        if (stragglers.Count == 0)
        {
            output.WriteLine("stragglers: none");
            return;
        }

        output.WriteLine("stragglers (oldest check-in first):");
        TextTable.Write(
            output,
            ["SITE", "DEVICE", "SERIAL", "STATE", "REASON", "LAST CHECK-IN"],
            stragglers.Select(d => new[]
            {
                d.SiteId ?? "", d.DeviceId ?? "", NonEmpty(d.Serial) ?? "-", d.State ?? "", d.Reason ?? "-", Time(d.LastCheckIn, "never"),
            }));
    }

    private static string[] CountsRow(string label, HubRolloutCounts? c)
    {
        if (c is null)
            return [label, "-", "-", "-", "-", "-", "-", "-"];
        var failures = (c.FailedByReason ?? new Dictionary<string, int>(StringComparer.Ordinal))
            .Where(r => r.Value > 0)
            .OrderBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => $"{r.Key} {Number(r.Value)}")
            .ToList();
        return
        [
            label, Number(c.Devices), Number(c.Installed), Number(c.Pending), Number(c.Failed), Number(c.Incompatible), Number(c.Offline),
            failures.Count == 0 ? "-" : string.Join(", ", failures),
        ];
    }

    /// <summary><c>120 (1.2.0)</c>, or the code alone when the name says nothing more.</summary>
    private static string Version(long? code, string? name)
    {
        var number = code is { } c ? Number(c) : "-";
        return string.IsNullOrEmpty(name) || string.Equals(name, number, StringComparison.Ordinal) ? number : $"{number} ({name})";
    }
}
