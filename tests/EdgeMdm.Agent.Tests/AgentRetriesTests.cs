namespace EdgeMdm.Agent.Tests;

public sealed class AgentRetriesTests
{
    private static readonly TimeSpan MaxWakeReconnectDelay = TimeSpan.FromSeconds(60);

    private readonly WaitCountingClock _clock = new();
    private int _attempts;

    [Fact]
    public async Task Wake_reconnects_retry_every_failure_on_the_clock_at_most_a_minute_apart_until_cancelled()
    {
        using var stop = new CancellationTokenSource();
        var running = AgentRetries.WakeReconnects(_clock, seed: 7).ExecuteAsync(_ => Fail(new IOException("broker down")), stop.Token).AsTask();

        await WaitForAttemptsAsync(1);
        await Task.Delay(100);
        Assert.Equal(1, Volatile.Read(ref _attempts)); // real time passed, the clock did not: no second attempt yet
        for (var attempts = 2; attempts <= 100; attempts++)
        {
            await _clock.AdvanceOnceWaitedOnAsync(attempts - 1, MaxWakeReconnectDelay);
            await WaitForAttemptsAsync(attempts);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task Enrollment_retries_request_failures_but_not_bugs()
    {
        var retries = AgentRetries.Enrollment(_clock);
        using var stop = new CancellationTokenSource();
        var refused = retries.ExecuteAsync(_ => Fail(new HttpRequestException("connection refused")), stop.Token).AsTask();
        await WaitForAttemptsAsync(1);
        await _clock.AdvanceOnceWaitedOnAsync(1, TimeSpan.FromSeconds(30));
        await WaitForAttemptsAsync(2);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => refused);

        _attempts = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(() => retries.ExecuteAsync(_ => Fail(new InvalidOperationException("a bug"))).AsTask());
        Assert.Equal(1, _attempts);
    }

    private ValueTask Fail(Exception exception)
    {
        Interlocked.Increment(ref _attempts);
        return ValueTask.FromException(exception);
    }

    private async Task WaitForAttemptsAsync(int count)
    {
        for (var i = 0; i < 500 && Volatile.Read(ref _attempts) < count; i++)
            await Task.Delay(10);
        Assert.Equal(count, Volatile.Read(ref _attempts));
    }
}
