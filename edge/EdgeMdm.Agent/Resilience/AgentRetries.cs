using EdgeMdm.Domain.Timing;
using Polly;
using Polly.Retry;

namespace EdgeMdm.Agent;

/// <summary>
/// Every retry loop of the agent, on one Polly pipeline shape: exponential backoff with full jitter from 1 s, capped,
/// and no attempt limit. Being offline is a normal state for a device, so a pipeline retries until the token given
/// to <c>ExecuteAsync</c> is cancelled; that cancellation is what ends it (an attempt is not even started once it is).
/// </summary>
internal static class AgentRetries
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxWakeReconnectDelay = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan MaxEnrollDelay = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reconnecting to the wake broker, up to a minute apart. Every failure is retried: whatever the broker or
    /// the network did, the device carries on checking in on its interval (wakes only make it quicker), so the
    /// listener never gives up and never takes the agent down.
    /// </summary>
    /// <param name="seed">
    /// Seeds the jitter, so a simulated fleet reconnects the same way on every run. The seeded sequence is not
    /// thread-safe: the pipeline belongs to one listener.
    /// </param>
    public static ResiliencePipeline WakeReconnects(TimeProvider time, int seed) =>
        UntilCancelled(MaxWakeReconnectDelay, time, new Random(seed).NextDouble, (_, _) => true);

    /// <summary>
    /// Enrolling simulated devices, up to 30 s apart; one pipeline serves a whole fleet (its shared random source is
    /// thread-safe). Only what a request to the appliance can fail with is retried (see
    /// <see cref="AgentFailures.IsRequestFailure"/>); anything else is a bug and ends the execution.
    /// </summary>
    public static ResiliencePipeline Enrollment(TimeProvider time) =>
        UntilCancelled(MaxEnrollDelay, time, randomizer: null, AgentFailures.IsRequestFailure);

    /// <param name="randomizer">Where the jitter comes from (values in [0, 1)); null for a shared thread-safe source.</param>
    /// <param name="retry">Whether a failure is worth another attempt, given the execution's cancellation token.</param>
    private static ResiliencePipeline UntilCancelled(TimeSpan maxDelay, TimeProvider time, Func<double>? randomizer, Func<Exception, CancellationToken, bool> retry)
    {
        // Full jitter rather than Polly's own jittered exponential delays, which stop varying once clamped to the
        // cap: a restarted appliance's devices would then reconnect in step, a minute apart (ServiceDefaults.Retries).
        var random = randomizer ?? Random.Shared.NextDouble;
        var options = new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && retry(e, args.Context.CancellationToken)),
            MaxRetryAttempts = int.MaxValue,
            MaxDelay = maxDelay,
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Backoff.FullJitter(args.AttemptNumber, FirstDelay, maxDelay, random())),
        };
        return new ResiliencePipelineBuilder { TimeProvider = time }.AddRetry(options).Build();
    }
}
