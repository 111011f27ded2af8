using System.CommandLine;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Sync;

/// <summary>What <c>sync status</c> prints: the uplink and how far behind the hub is.</summary>
/// <param name="Uplink">Connected, Trying, Offline or NotConfigured, as the running appliance last recorded it.</param>
/// <param name="LagSeconds">Age of the oldest change the hub does not have yet; 0 when none is waiting.</param>
public sealed record SyncStatus(
    string Uplink,
    DateTimeOffset? LastSyncAt,
    long OutboxDepth,
    double LagSeconds,
    ulong AckedThrough,
    ulong FeedPosition);

/// <summary><c>edgemdm-edge sync status</c>.</summary>
public static class SyncCli
{
    public static Command Sync(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var status = commands.Create("status", "the uplink to the cloud hub: state, last sync, outbox depth and lag", [], cli =>
        {
            var outbox = cli.Get<IOutboxStore>().State();
            var uplink = cli.Get<IUplinkStore>().Uplink();
            var lag = outbox.OldestPendingAt is { } oldest ? Math.Max(0, (DateTimeOffset.UtcNow - oldest).TotalSeconds) : 0;
            var report = new SyncStatus(uplink.State ?? "NotConfigured", uplink.LastContactAt, outbox.Depth, Math.Round(lag, 1), outbox.AckedThrough, cli.Get<IFeedStore>().FeedPosition);
            return cli.Print(report, () =>
            {
                Console.WriteLine($"uplink       {report.Uplink}");
                Console.WriteLine($"last sync    {(report.LastSyncAt is { } at ? CliText.Time(at) : "never")}");
                Console.WriteLine($"outbox       {report.OutboxDepth} changes waiting, lag {report.LagSeconds:0.#} s");
                Console.WriteLine($"acked        through {report.AckedThrough}");
                Console.WriteLine($"feed         at {report.FeedPosition}");
            });
        });
        return new Command("sync", "sync with the cloud hub") { status };
    }
}
