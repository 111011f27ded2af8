using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Devices;

/// <summary>
/// Writes the sightings <see cref="UnsavedSightings"/> holds every <c>Edge:LastSeenWriteSeconds</c> and once more when
/// the appliance stops, in writer units of at most <see cref="DevicesPerUnit"/> devices (so a check-in queued behind
/// one waits for a few hundred row updates, not a site's). A device that checked in k times since is written once:
/// one row page per few devices per interval instead of one per check-in.
/// </summary>
internal sealed partial class SightingsWriter(
    EdgeStorage storage, UnsavedSightings sightings, IOptions<EdgeOptions> options, TimeProvider clock, ILogger<SightingsWriter> log) : BackgroundService
{
    public const int DevicesPerUnit = 500;

    private readonly TimeSpan _every = TimeSpan.FromSeconds(options.Value.LastSeenWriteSeconds);

    /// <summary>Writes every sighting held now; how many devices' rows it wrote.</summary>
    public async Task<int> WriteAsync()
    {
        var devices = 0;
        // Bounded by what is held at the start: the check-ins arriving meanwhile wait for the next round.
        for (var rounds = sightings.Count / DevicesPerUnit + 1; rounds > 0 && sightings.Count > 0; rounds--)
        {
            devices += await storage.WriteAsync(unit =>
            {
                var batch = sightings.Take(DevicesPerUnit);
                DeviceRegistry.WriteSightings(unit, batch);
                unit.OnCommitted(() => sightings.Written(batch));
                return batch.Count;
            });
        }

        return devices;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_every, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await TryWriteAsync();
        }
    }

    /// <summary>The stop writes what is left, before the database closes (it is closed with the container, after the hosted services).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await TryWriteAsync();
    }

    private async Task TryWriteAsync()
    {
        try
        {
            await WriteAsync();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Kept in memory: the next round tries them again.
            LogFailed(exception, sightings.Count);
        }
    }

    [LoggerMessage(EventId = 1810, Level = LogLevel.Warning, Message = "Last-seen times of {Devices} devices not written this round; kept for the next")]
    private partial void LogFailed(Exception exception, int devices);
}
