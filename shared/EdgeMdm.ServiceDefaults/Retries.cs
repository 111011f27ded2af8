using EdgeMdm.Domain.Timing;
using Polly;
using Polly.Retry;

namespace EdgeMdm.ServiceDefaults;

/// <summary>One failed try, as told to a retry pipeline's <c>onRetry</c> callback.</summary>
/// <param name="Attempt">Which try failed: 1 for the first call.</param>
/// <param name="Delay">How long the pipeline waits before the next try ("next try in X s").</param>
/// <param name="Exception">Why the try failed.</param>
public readonly record struct RetryAttempt(int Attempt, TimeSpan Delay, Exception Exception);

/// <summary>
/// The one way the servers retry: a Polly pipeline with exponential backoff and full jitter. The jitter keeps the sites
/// of a region whose WAN came back (or the replicas of a restarted hub) from retrying in the same second.
/// </summary>
/// <remarks>
/// Each delay is drawn evenly between zero and a ceiling that starts at <c>first</c> and doubles with each try up to
/// <c>max</c> (<see cref="Backoff.FullJitter"/>). Polly's own jittered exponential delays are clamped to <c>max</c> once they grow past
/// it, so a peer away for long was retried exactly every <c>max</c>: in step with every other site that lost it at
/// the same moment, and a healed uplink used after <c>max</c>/2 on average instead of about a third of <c>max</c>
/// (docs/benchmarks.md, "Feature slices"). The delays run on the <see cref="TimeProvider"/> given, so a test drives
/// them with <c>FakeTimeProvider</c>.
/// </remarks>
public static class Retries
{
    /// <summary>
    /// Retries every failure <paramref name="handles"/> accepts until the token given to <c>ExecuteAsync</c> is
    /// cancelled (which ends it with <see cref="OperationCanceledException"/>). For workers that wait out an absent
    /// peer: the uplink to the hub, a broker.
    /// </summary>
    public static ResiliencePipeline UntilCancelled(
        TimeSpan first,
        TimeSpan max,
        TimeProvider time,
        Func<Exception, bool> handles,
        Func<RetryAttempt, ValueTask>? onRetry = null) =>
        Build(int.MaxValue, first, max, time, handles, onRetry, randomizer: null);

    /// <summary>
    /// Tries at most <paramref name="attempts"/> times in all (the first call included), then lets the last failure
    /// through. For a start-up step that waits briefly on something transient: a hub opening its SQLite file while
    /// another replica migrates it.
    /// </summary>
    public static ResiliencePipeline Bounded(
        int attempts,
        TimeSpan first,
        TimeSpan max,
        TimeProvider time,
        Func<Exception, bool> handles,
        Func<RetryAttempt, ValueTask>? onRetry = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 2);
        return Build(attempts - 1, first, max, time, handles, onRetry, randomizer: null);
    }

    /// <param name="randomizer">Tests pin the jitter with it (a value in [0, 1)); null is a shared random source.</param>
    internal static ResiliencePipeline Build(
        int retries,
        TimeSpan first,
        TimeSpan max,
        TimeProvider time,
        Func<Exception, bool> handles,
        Func<RetryAttempt, ValueTask>? onRetry,
        Func<double>? randomizer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, first);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(handles);

        var random = randomizer ?? Random.Shared.NextDouble;
        var options = new RetryStrategyOptions
        {
            MaxRetryAttempts = retries,
            MaxDelay = max,
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Backoff.FullJitter(args.AttemptNumber, first, max, random())),
            // The caller's own cancellation is never a failure to retry, whatever its predicate says.
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } e
                && !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)
                && handles(e)),
        };
        if (onRetry is not null)
            options.OnRetry = args => onRetry(new RetryAttempt(args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception!));

        return new ResiliencePipelineBuilder { TimeProvider = time }.AddRetry(options).Build();
    }
}
