using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli.Packages;

/// <summary><c>rollouts list</c> and <c>rollouts show [--watch]</c>: app version rollouts, group by group, as the sites report them.</summary>
internal static class RolloutsCommands
{
    public static Command Create(CliSession cli) =>
        new("rollouts", "app version rollouts that blueprint changes started, as the sites report them") { List(cli), Show(cli) };

    private static Command Show(CliSession cli)
    {
        var packageName = new Option<string>("--package-name") { Description = "the package, e.g. com.acme.scan", Required = true };
        var site = new Option<string>("--site") { Description = "only the devices of this site" };
        var json = new Option<bool>("--json") { Description = "print the hub's answer (GET /api/v1/rollouts) as JSON" };
        var watch = new Option<bool>("--watch")
        {
            Description = "draw a progress bar per site and redraw it until every rollout shown has finished (then exit 0) or Ctrl-C (exit 130)",
        };
        var interval = new Option<string>("--watch-interval") { Description = "how often --watch asks the hub, 1s to 1h (default 5s)", DefaultValueFactory = _ => "5s" };
        var show = new Command(
            "show",
            "each group's current rollout of the package: from and to version, per site the waves (done ✓, open, closed), its status (finished, halted and why, " +
            "or what the held wave waits for), devices by state (installed, pending, failed, incompatible, offline) and failure reason per site and in total, " +
            "then the stragglers (chased, not waited for), oldest check-in first. Judged from what the devices last reported, as of their sites' last sync")
        {
            packageName, site, json, watch, interval,
        };
        show.SetAction(async (result, cancellationToken) =>
        {
            var every = CliText.ParseDuration(result.GetValue(interval)!, "--watch-interval");
            if (every < TimeSpan.FromSeconds(1) || every > TimeSpan.FromHours(1))
                throw new CliException($"--watch-interval {result.GetValue(interval)} must be between 1s and 1h", 2);
            if (result.GetValue(watch) && result.GetValue(json))
                throw new CliException("--watch draws for a person; scripts poll --json without --watch", 2);
            using var hub = cli.Connect(result);
            var (name, siteId) = (result.GetValue(packageName)!, NonEmpty(result.GetValue(site)));
            if (result.GetValue(watch))
                return await RolloutWatch.RunAsync(cli, ct => hub.GetRolloutsAsync(name, siteId, ct), every, cancellationToken);
            var (answer, rollouts) = await hub.GetRolloutsAsync(name, siteId, cancellationToken);
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
        return show;
    }

    private static Command List(CliSession cli)
    {
        var site = new Option<string>("--site") { Description = "only the devices of this site" };
        var json = new Option<bool>("--json") { Description = "print the hub's answer (GET /api/v1/rollouts) as JSON" };
        var list = new Command(
            "list",
            "every current rollout, whatever the package: package, group, from and to version, start, devices installed, and its status " +
            "(finished, halted and why, or what the held wave waits for)")
        {
            site, json,
        };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var (answer, rollouts) = await hub.GetRolloutsAsync(null, NonEmpty(result.GetValue(site)), cancellationToken);
            return cli.Print(result, json, answer, CliJson.Default.JsonElement, () =>
            {
                if (rollouts.Count == 0)
                {
                    cli.Output.WriteLine("no rollout: one starts when a blueprint changes the version code of an app its group already has");
                    return;
                }

                TextTable.Write(
                    cli.Output,
                    ["PACKAGE", "GROUP", "FROM", "TO", "STARTED", "INSTALLED", "STATUS"],
                    rollouts.Select(r => new[]
                    {
                        r.PackageName ?? "", r.Group ?? "", Version(r.FromVersionCode, r.FromVersionName), Version(r.ToVersionCode, r.ToVersionName),
                        Time(r.StartedAt), r.Total is { } t ? $"{Number(t.Installed)}/{Number(t.Devices)}" : "-", r.Status ?? "-",
                    }));
            });
        });
        return list;
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
            if (s.Halted is null && s.Status is { } status)
                output.WriteLine($"    {status}");
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

        output.WriteLine("stragglers (chased, not waited for; oldest check-in first):");
        TextTable.Write(
            output,
            ["SITE", "DEVICE", "SERIAL", "STATE", "REASON", "LAST CHECK-IN"],
            stragglers.Select(d => new[]
            {
                d.SiteId ?? "", d.DeviceId ?? "", NonEmpty(d.Serial) ?? "-", d.State ?? "", d.Reason ?? "-", Time(d.LastCheckIn, "never"),
            }));
    }

    internal static string[] CountsRow(string label, HubRolloutCounts? c)
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
    internal static string Version(long? code, string? name)
    {
        var number = code is { } c ? Number(c) : "-";
        return string.IsNullOrEmpty(name) || string.Equals(name, number, StringComparison.Ordinal) ? number : $"{number} ({name})";
    }
}
