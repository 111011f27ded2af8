using System.Text.Json;
using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli.Packages;

/// <summary>
/// <c>rollouts show --watch</c>: asks the hub every interval and draws each rollout with a progress bar per site, until
/// every rollout shown has finished (exit 0) or Ctrl-C (exit 130). On a terminal each frame replaces the last; into a
/// file or a pipe the frames follow one another, each under its time.
/// </summary>
internal static class RolloutWatch
{
    private const int BarWidth = 30;

    public static async Task<int> RunAsync(
        CliSession cli, Func<CancellationToken, Task<(JsonElement Answer, IReadOnlyList<HubRollout> Rollouts)>> fetch, TimeSpan every, CancellationToken cancellationToken)
    {
        var redraw = ReferenceEquals(cli.Output, Console.Out) && !Console.IsOutputRedirected;
        try
        {
            while (true)
            {
                var (_, rollouts) = await fetch(cancellationToken);
                var output = cli.Output;
                output.Write(redraw ? "\u001b[H\u001b[2J" : "");
                output.WriteLine($"{CliText.Time(cli.Clock.GetUtcNow())}  (every {Domain.Text.DurationText.Format(every)}; Ctrl-C stops)");
                foreach (var rollout in rollouts)
                    WriteFrame(output, rollout);
                if (rollouts.Count > 0 && rollouts.All(r => r.Finished))
                {
                    output.WriteLine(rollouts.Count == 1 ? "the rollout finished" : "every rollout finished");
                    return 0;
                }

                output.WriteLine();
                await output.FlushAsync(cancellationToken);
                await Task.Delay(every, cli.Clock, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 130;
        }
    }

    private static void WriteFrame(TextWriter output, HubRollout rollout)
    {
        output.WriteLine(
            $"{rollout.PackageName} {RolloutsCommands.Version(rollout.FromVersionCode, rollout.FromVersionName)} → " +
            $"{RolloutsCommands.Version(rollout.ToVersionCode, rollout.ToVersionName)}, group {rollout.Group}");
        var sites = rollout.Sites ?? [];
        if (sites.Count == 0)
            output.WriteLine("  no device of the group has reported yet");
        foreach (var site in sites)
            output.WriteLine($"  {site.SiteId,-12} {Bar(site.Counts)}  {site.Status ?? site.Halted ?? ""}");
        if (sites.Count > 1)
            output.WriteLine($"  {"total",-12} {Bar(rollout.Total)}  {(rollout.Finished ? "finished" : "")}".TrimEnd());
    }

    /// <summary><c>[██████████░░░░░░░░░░]  52 % installed (104/200)</c>: installed over every device, incompatible ones included.</summary>
    internal static string Bar(HubRolloutCounts? counts)
    {
        var devices = counts?.Devices ?? 0;
        var installed = counts?.Installed ?? 0;
        var share = devices == 0 ? 0d : (double)installed / devices;
        var filled = (int)Math.Floor(share * BarWidth);
        var percent = (int)Math.Floor(share * 100);
        return $"[{new string('█', filled)}{new string('░', BarWidth - filled)}] {percent,3} % installed ({installed}/{devices})";
    }
}
