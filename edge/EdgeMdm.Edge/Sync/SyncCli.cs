using System.CommandLine;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Sync;

/// <summary>What <c>sync status</c> prints: the uplink and how far behind the hub is.</summary>
/// <param name="Uplink">Connected, Trying, Offline or NotConfigured, as the running appliance last recorded it.</param>
/// <param name="LagSeconds">Age of the oldest change the hub does not have yet; 0 when none is waiting.</param>
/// <param name="Failure">
/// While calls to the hub fail, why (a refused TLS certificate, a refused credential), as the running appliance reports
/// it; null when they succeed or when no appliance serves the data directory.
/// </param>
public sealed record SyncStatus(
    string Uplink,
    DateTimeOffset? LastSyncAt,
    long OutboxDepth,
    double LagSeconds,
    ulong AckedThrough,
    ulong FeedPosition,
    string? Failure = null);

/// <summary><c>edgemdm-edge sync status</c>.</summary>
public static class SyncCli
{
    public static Command Sync(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var status = commands.Create("status", "the uplink to the cloud hub: state (and why calls fail), last sync, outbox depth and lag", [], async cli =>
        {
            var outbox = cli.Get<IOutboxStore>().State();
            var uplink = cli.Get<IUplinkStore>().Uplink();
            var lag = outbox.OldestPendingAt is { } oldest ? Math.Max(0, (DateTimeOffset.UtcNow - oldest).TotalSeconds) : 0;
            var report = new SyncStatus(
                uplink.State ?? "NotConfigured", uplink.LastContactAt, outbox.Depth, Math.Round(lag, 1), outbox.AckedThrough, cli.Get<IFeedStore>().FeedPosition,
                await FailureAsync(cli.DataDirectory));
            return cli.Print(report, () =>
            {
                Console.WriteLine($"uplink       {report.Uplink}");
                if (report.Failure is { } failure)
                    Console.WriteLine($"failing      {failure}");
                Console.WriteLine($"last sync    {(report.LastSyncAt is { } at ? CliText.Time(at) : "never")}");
                Console.WriteLine($"outbox       {report.OutboxDepth} changes waiting, lag {report.LagSeconds:0.#} s");
                Console.WriteLine($"acked        through {report.AckedThrough}");
                Console.WriteLine($"feed         at {report.FeedPosition}");
            });
        });
        return new Command("sync", "sync with the cloud hub") { status };
    }

    /// <summary>The running appliance's reason for failing calls to the hub; null when none, or when no appliance serves.</summary>
    private static async Task<string?> FailureAsync(string dataDirectory)
    {
        try
        {
            var metrics = await LiveMetrics.ReadAsync(dataDirectory, CancellationToken.None);
            return metrics.FirstOrDefault(s => string.Equals(s.Name, "edgemdm_uplink_failure", StringComparison.Ordinal))?.Labels.GetValueOrDefault("reason");
        }
        catch (CliException)
        {
            // The state and the outbox come from the store; only the reason needs the appliance running.
            return null;
        }
    }
}
