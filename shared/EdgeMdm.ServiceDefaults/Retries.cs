using Polly;
using Polly.Retry;

namespace EdgeMdm.ServiceDefaults;

/// <summary>One failed try, as told to a retry pipeline's <c>onRetry</c> callback.</summary>
/// <param name="Attempt">Which try failed: 1 for the first call.</param>
/// <param name="Delay">How long the pipeline waits before the next try ("next try in X s").</param>
/// <param name="Exception">Why the try failed.</param>
public readonly record struct RetryAttempt(int Attempt, TimeSpan Delay, Exception Exception);

/// <summary>
/// The one way the servers retry: a Polly pipeline with exponential backoff and jitter. The jitter keeps the sites of a
/// region whose WAN came back (or the replicas of a restarted hub) from retrying in the same second.
/// </summary>
/// <remarks>
/// The delays are Polly's decorrelated jitter: the median first delay is <c>first</c>, the median doubles with each try,
/// and no delay exceeds <c>max</c>; a single delay may fall well below its median. They run on the
/// <see cref="TimeProvider"/> given, so a test drives them with <c>FakeTimeProvider</c>.
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

    /// <param name="randomizer">Tests pin the jitter with it; null is Polly's own random source.</param>
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

        var options = new RetryStrategyOptions
        {
            MaxRetryAttempts = retries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = first,
            MaxDelay = max,
            // The caller's own cancellation is never a failure to retry, whatever its predicate says.
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } e
                && !(e is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)
                && handles(e)),
        };
        if (randomizer is not null)
            options.Randomizer = randomizer;
        if (onRetry is not null)
            options.OnRetry = args => onRetry(new RetryAttempt(args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception!));

        return new ResiliencePipelineBuilder { TimeProvider = time }.AddRetry(options).Build();
    }
}
