using System.CommandLine;
using System.Globalization;
using EdgeMdm.Edge.Blueprints;
using EdgeMdm.Edge.Cli;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Packages;

namespace EdgeMdm.Edge.Rollouts;

/// <summary><c>edgemdm-edge rollouts</c>.</summary>
public static class RolloutsCli
{
    public static Command Rollouts(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var interval = new Option<int?>("--checkin-interval")
        {
            Description = "the check-in interval serve runs with, in seconds: a device silent for 3 of them is offline (default: Edge:CheckinIntervalSeconds, from $EDGEMDM_Edge__CheckinIntervalSeconds, else 60)",
        };
        return commands.Create("rollouts", "app rollouts at this site: from and to version, waves open, devices by state, and the status: finished, halted and why, or what the held wave waits for", [interval], cli =>
        {
            if (cli.Result.GetValue(interval) is { } seconds)
            {
                if (seconds is < 1 or > 86_400)
                    throw new CliException($"--checkin-interval {CliText.Number(seconds)} must be between 1 and 86400", 2);
                cli.Set(EdgeOptions.Section + ":" + nameof(EdgeOptions.CheckinIntervalSeconds), seconds.ToString(CultureInfo.InvariantCulture));
            }

            // Judged now from what devices last reported, exactly as the running appliance judges them.
            var rollouts = cli.Get<ISiteRollouts>();
            rollouts.Reload(cli.Get<IBlueprints>().LoadAll(), cli.Get<IPackageCatalog>().Reload(), DateTimeOffset.UtcNow);
            var views = rollouts.Tracker.States.Select(RolloutView.Of).ToList();
            return cli.Print(views, () =>
            {
                if (views.Count == 0)
                {
                    Console.WriteLine("no rollout at this site");
                    return;
                }

                Table.Write(
                    ["PACKAGE", "FROM", "TO", "WAVES OPEN", "DEVICES", "INSTALLED", "PENDING", "FAILED", "INCOMPATIBLE", "OFFLINE", "STATUS"],
                    views.Select(v => new[]
                    {
                        v.PackageName, $"{v.FromVersionName} ({CliText.Number(v.FromVersionCode)})", $"{v.ToVersionName} ({CliText.Number(v.ToVersionCode)})",
                        $"{CliText.Number(v.OpenWaves)}/{CliText.Number(v.Waves.Count)}", CliText.Number(v.Counts.Devices), CliText.Number(v.Counts.Installed),
                        CliText.Number(v.Counts.Pending), CliText.Number(v.Counts.Failed) + FailureReasons(v.Counts.FailedByReason),
                        CliText.Number(v.Counts.Incompatible), CliText.Number(v.Counts.Offline), v.Status,
                    }));
            });
        });
    }

    private static string FailureReasons(IReadOnlyDictionary<string, int> byReason)
    {
        var named = byReason.Where(r => r.Value > 0).Select(r => $"{r.Key}:{CliText.Number(r.Value)}").ToList();
        return named.Count == 0 ? "" : " (" + string.Join(", ", named) + ")";
    }
}
