using EdgeMdm.Edge.Cradles;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Spares;

/// <summary>
/// In the serving appliance, every <see cref="SpareOptions.EvaluateEvery"/>: expires proposals past their lifetime (and
/// turns their LEDs off), and looks at the pools against their minimums, writing only when an alert changes.
/// </summary>
internal sealed partial class SpareMonitor(ISwaps swaps, SparePools pools, ICradleFloor cradles, TimeProvider time, IOptions<SpareOptions> options, ILogger<SpareMonitor> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = options.Value.EvaluateEvery;
        while (!stoppingToken.IsCancellationRequested)
        {
            // The next wait starts before this look, so whoever sees this look's result can already move the clock past
            // it; and it is one interval from now, so a clock that jumps gives one look, not one per interval skipped.
            var next = Task.Delay(every, time, stoppingToken);
            try
            {
                await TickAsync();
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogTickFailed(exception);
            }

            try
            {
                await next;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One look; public to the feature's tests through the hosted service's schedule only.</summary>
    internal async Task TickAsync()
    {
        var now = time.GetUtcNow();
        foreach (var expired in await swaps.ExpireAsync(now))
        {
            LogExpired(expired.SwapId, expired.DeviceSerial);
            await SwapEndpoints.ClearAsync(cradles, expired);
        }

        if (await pools.EvaluateIfChangedAsync(now))
            LogAlertsChanged();
    }

    [LoggerMessage(EventId = 6501, Level = LogLevel.Information, Message = "Swap {SwapId} of device {Serial} expired unconfirmed")]
    private partial void LogExpired(string swapId, string serial);

    [LoggerMessage(EventId = 6502, Level = LogLevel.Information, Message = "Spare pool alerts changed")]
    private partial void LogAlertsChanged();

    [LoggerMessage(EventId = 6503, Level = LogLevel.Warning, Message = "Looking at spare pools and swaps failed; trying again at the next tick")]
    private partial void LogTickFailed(Exception exception);
}
