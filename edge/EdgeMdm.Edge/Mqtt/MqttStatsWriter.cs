namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// Writes the broker's counters to the store every few seconds while they move (one small write, never one per
/// event), so <c>edgemdm-edge mqtt status</c>, another process, can show them.
/// </summary>
internal sealed class MqttStatsWriter(IMqttStatsStore store, MqttCounters counters, IDeviceWaker waker, TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private DateTimeOffset _startedAt;
    private MqttStats? _written;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _startedAt = clock.GetUtcNow();
        await WriteAsync(force: true);
        using var timer = new PeriodicTimer(Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await WriteAsync(force: false);
        }
        catch (OperationCanceledException)
        {
            // Stopping; StopAsync writes the last counts.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await WriteAsync(force: true);
    }

    private async Task WriteAsync(bool force)
    {
        var (mode, endpoints) = waker.Describe();
        var now = clock.GetUtcNow();
        var stats = new MqttStats(
            mode, endpoints, _startedAt, now, counters.Connected, counters.LoginsAccepted, counters.LoginsRefused,
            counters.SubscribeDenied, counters.PublishDenied, counters.MalformedDropped, counters.WakesPublished);
        if (!force && _written is { } last && last with { UpdatedAt = now } == stats)
            return;
        await store.RecordMqttStatsAsync(stats);
        _written = stats;
    }
}
