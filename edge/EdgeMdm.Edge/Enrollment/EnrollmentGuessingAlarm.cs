using System.Globalization;
using EdgeMdm.Edge.Alerts;
using EdgeMdm.Edge.Storage;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Enrollment;

/// <summary>
/// Raises the site alert <see cref="Kind"/> (the supervisor's alerts page) when enrollments with a token the site does
/// not honour (unknown, expired, used up) pile up: at least <see cref="EnrollmentLimitOptions.GuessingAlarmRefusals"/>
/// within <see cref="EnrollmentLimitOptions.GuessingAlarmWindow"/>, which is what guessing tokens looks like (one
/// stale staging script retries far less). Cleared once a whole window passes without such a refusal. The per-address
/// rate limit slows a guesser down; this tells a person that someone is trying. Counts are in memory: after a restart
/// an open alert stays until the next quiet window clears it.
/// </summary>
internal sealed partial class EnrollmentGuessingAlarm(
    EdgeStorage storage, IAlerts alerts, IOptions<EnrollmentLimitOptions> options, TimeProvider clock, ILogger<EnrollmentGuessingAlarm> log)
    : BackgroundService
{
    public const string Kind = "enrollment.guessing";
    public const string Subject = "site";

    private readonly Lock _lock = new();

    // The latest refusals, newest last, at most the threshold of them: enough to tell whether the window holds that many.
    private readonly Queue<DateTimeOffset> _refusals = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private bool? _raised;

    /// <summary>
    /// One enrollment refused for its token, now; the one that makes the window hold the threshold raises the alert
    /// before its answer goes out.
    /// </summary>
    public async Task TokenRefusedAsync()
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            _refusals.Enqueue(now);
            while (_refusals.Count > settings.GuessingAlarmRefusals)
                _refusals.Dequeue();
            if (!IsAlarming(now, settings))
                return;
        }

        await UpdateAsync(raise: true, now);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Often enough that the alert is cleared within a tenth of a window of the quiet window ending.
        var every = options.Value.GuessingAlarmWindow / 10;
        using var timer = new PeriodicTimer(every < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : every, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = clock.GetUtcNow();
                bool quiet;
                lock (_lock)
                    quiet = _refusals.Count == 0 || now - _refusals.Last() >= options.Value.GuessingAlarmWindow;
                if (quiet)
                    await UpdateAsync(raise: false, now);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Raises or clears the alert unless it already is; one write at a time, so a burst of refusals raises it once.</summary>
    private async Task UpdateAsync(bool raise, DateTimeOffset now)
    {
        var settings = options.Value;
        await _writing.WaitAsync();
        try
        {
            // An alert left open by an earlier run is cleared by the first quiet window of this one.
            _raised ??= alerts.Open().Any(alert => string.Equals(alert.Kind, Kind, StringComparison.Ordinal));
            if (_raised == raise)
                return;
            var message = string.Create(CultureInfo.InvariantCulture,
                $"{settings.GuessingAlarmRefusals} or more enrollments refused for an unknown, expired or used-up token within {settings.GuessingAlarmWindow:c}: someone may be guessing enrollment tokens (the log's event 1101 names each)");
            await storage.WriteAsync(unit =>
            {
                if (raise)
                    alerts.Raise(unit, Kind, Subject, message, now);
                else
                    alerts.Clear(unit, Kind, Subject, now);
                return true;
            });
            _raised = raise;
            if (raise)
                LogRaised(log, settings.GuessingAlarmRefusals, settings.GuessingAlarmWindow);
            else
                LogCleared(log, settings.GuessingAlarmWindow);
        }
        catch (StorageFullException exception)
        {
            // The next refusal or check tries again.
            LogNotWritten(log, exception.Message);
        }
        finally
        {
            _writing.Release();
        }
    }

    private bool IsAlarming(DateTimeOffset now, EnrollmentLimitOptions settings) =>
        _refusals.Count >= settings.GuessingAlarmRefusals && now - _refusals.Peek() < settings.GuessingAlarmWindow;

    public override void Dispose()
    {
        _writing.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Alert enrollment.guessing raised: {Count} or more enrollments refused for their token within {Window}")]
    private static partial void LogRaised(ILogger log, int count, TimeSpan window);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Alert enrollment.guessing cleared: no enrollment refused for its token for {Window}")]
    private static partial void LogCleared(ILogger log, TimeSpan window);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Alert enrollment.guessing not written: {Error}; checking again")]
    private static partial void LogNotWritten(ILogger log, string error);
}
