using EdgeMdm.Edge.Wakes;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// Publishes the store's wakes through the <see cref="IDeviceWaker"/>: at once for wakes this process raised, within
/// <see cref="PollInterval"/> for those another process (the operator CLI) queued on the same data directory. Durable
/// wakes are deleted only once published; a device woken twice in one batch gets one wake.
/// </summary>
internal sealed partial class WakeDispatcher(IDeviceWakes queue, IDeviceWaker waker, MqttCounters counters, TimeProvider clock, ILogger<WakeDispatcher> logger)
    : BackgroundService
{
    /// <summary>
    /// How soon a wake another process queued goes out: the operator's `commands send` waits on it, and a poll of an
    /// empty table on a read connection costs microseconds, so 20 a second are nothing beside one check-in.
    /// </summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(2);
    private const int BatchSize = 2000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var seen = queue.WakesQueued.Version;
            int published;
            try
            {
                published = await PublishBatchAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogWakeFailed(logger, exception.Message);
                published = 0;
                await Task.Delay(RetryAfterFailure, clock, stoppingToken);
            }

            if (published > 0)
                continue;
            try
            {
                await queue.WakesQueued.WaitAsync(seen, PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<int> PublishBatchAsync(CancellationToken cancellationToken)
    {
        var wakes = queue.TakeWakes(BatchSize);
        if (wakes.Count == 0)
            return 0;
        var distinct = wakes.DistinctBy(w => w.DeviceId, StringComparer.Ordinal).Select(w => new WakeRequest(w.DeviceId, w.Reason)).ToList();
        await waker.WakeAsync(distinct, cancellationToken);
        counters.WakesSent(distinct.Count);

        var durableThrough = wakes.Max(w => w.Id);
        if (durableThrough > 0)
            await queue.ForgetWakesAsync(durableThrough);
        return wakes.Count;
    }

    [LoggerMessage(EventId = 5510, Level = LogLevel.Warning, Message = "Device wakes not published ({Error}); devices still check in on their interval, retrying")]
    private static partial void LogWakeFailed(ILogger logger, string error);
}
