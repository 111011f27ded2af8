using Polly;

namespace EdgeMdm.ServiceDefaults.Tests;

public sealed class RetriesTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Until_cancelled_draws_each_wait_below_a_ceiling_doubling_up_to_max_on_the_given_clock()
    {
        var time = new TimerWatchingTimeProvider();
        var told = new List<RetryAttempt>();
        // Jitter pinned to its middle, so the growth is visible try by try.
        var pipeline = Retries.Build(int.MaxValue, First, Max, time, e => e is IOException, Record(told), randomizer: () => 0.5);

        var waits = await WaitsUntilCancelledAsync(pipeline, time, retries: 12);

        // The clock's timers take whole milliseconds: the wait is the delay told, less its sub-millisecond part.
        Assert.Equal(waits, told.Take(12).Select(a => TimeSpan.FromMilliseconds(Math.Floor(a.Delay.TotalMilliseconds))));
        Assert.Equal(Enumerable.Range(1, 13), told.Select(a => a.Attempt));
        // Half of a ceiling that starts at First and doubles up to Max.
        double[] seconds = [0.5, 1, 2, 4, 8, 15, 15, 15, 15, 15, 15, 15];
        Assert.Equal(seconds.Select(TimeSpan.FromSeconds), waits);
    }

    [Fact]
    public async Task Until_cancelled_keeps_real_jitter_within_the_cap_and_retries_on()
    {
        var time = new TimerWatchingTimeProvider();
        var pipeline = Retries.UntilCancelled(First, Max, time, e => e is IOException);

        var waits = await WaitsUntilCancelledAsync(pipeline, time, retries: 50);

        Assert.All(waits, w => Assert.InRange(w, TimeSpan.Zero, Max));
        // Long past the cap the waits still differ: sites that lost the hub together do not retry in step.
        Assert.True(waits.Skip(10).Distinct().Count() > 30, "waits at the cap: " + string.Join(", ", waits.Skip(10)));
    }

    [Fact]
    public async Task Bounded_gives_up_after_its_attempts_with_the_last_failure()
    {
        var time = new TimerWatchingTimeProvider();
        var told = new List<RetryAttempt>();
        var calls = 0;
        var pipeline = Retries.Bounded(3, First, Max, time, e => e is IOException, Record(told));

        var run = pipeline.ExecuteAsync(_ => Fail(ref calls), CancellationToken.None).AsTask();
        time.Advance(await time.NextWaitAsync());
        time.Advance(await time.NextWaitAsync());

        var failure = await Assert.ThrowsAsync<IOException>(() => run);
        Assert.Equal("try 3 failed", failure.Message);
        Assert.Equal(3, calls);
        Assert.Equal([1, 2], told.Select(a => a.Attempt));
        Assert.All(told, a => Assert.Equal("try " + a.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture) + " failed", a.Exception.Message));
    }

    [Fact]
    public async Task Failure_the_predicate_does_not_handle_is_not_retried()
    {
        var pipeline = Retries.Bounded(5, First, Max, new TimerWatchingTimeProvider(), e => e is IOException);
        var calls = 0;

        await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.ExecuteAsync(_ =>
        {
            calls++;
            return ValueTask.FromException(new InvalidOperationException("a bug, not a blip"));
        }).AsTask());

        Assert.Equal(1, calls);
    }

    [Fact]
    public void Bounded_needs_at_least_one_retry()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Retries.Bounded(1, First, Max, TimeProvider.System, _ => true));
    }

    /// <summary>
    /// Runs a call that always fails through <paramref name="pipeline"/> for <paramref name="retries"/> retries, moving
    /// the clock through each wait (no retry may come a tick early), then cancels it; returns the waits.
    /// </summary>
    private static async Task<List<TimeSpan>> WaitsUntilCancelledAsync(ResiliencePipeline pipeline, TimerWatchingTimeProvider time, int retries)
    {
        var calls = 0;
        using var stop = new CancellationTokenSource();
        var run = pipeline.ExecuteAsync(_ => Fail(ref calls), stop.Token).AsTask();
        var waits = new List<TimeSpan>();
        for (var i = 0; i < retries; i++)
        {
            var wait = await time.NextWaitAsync();
            waits.Add(wait);
            if (wait > TimeSpan.Zero)
            {
                time.Advance(wait - TimeSpan.FromTicks(1));
                Assert.Equal(i + 1, Volatile.Read(ref calls));
            }

            time.Advance(wait > TimeSpan.Zero ? TimeSpan.FromTicks(1) : TimeSpan.Zero);
        }

        await time.NextWaitAsync();
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(retries + 1, calls);
        return waits;
    }

    private static ValueTask Fail(ref int calls)
    {
        var call = Interlocked.Increment(ref calls);
        return ValueTask.FromException(new IOException("try " + call.ToString(System.Globalization.CultureInfo.InvariantCulture) + " failed"));
    }

    private static Func<RetryAttempt, ValueTask> Record(List<RetryAttempt> told) => attempt =>
    {
        lock (told)
            told.Add(attempt);
        return ValueTask.CompletedTask;
    };
}
