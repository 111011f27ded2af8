using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Agent.Tests;

/// <summary>
/// A fake clock that counts the waits scheduled on it. A test advances it once the code under test waits: an
/// advance made just before the wait is scheduled would be lost to that wait, and the test would hang.
/// </summary>
public sealed class WaitCountingClock : TimeProvider
{
    private readonly FakeTimeProvider _clock = TestData.Clock();
    private int _waits;

    /// <summary>Timers created so far (each <c>Task.Delay</c> on this clock creates one).</summary>
    public int Waits => Volatile.Read(ref _waits);

    public override long TimestampFrequency => _clock.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _clock.LocalTimeZone;

    public override DateTimeOffset GetUtcNow() => _clock.GetUtcNow();

    public override long GetTimestamp() => _clock.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _waits);
        return _clock.CreateTimer(callback, state, dueTime, period);
    }

    public void Advance(TimeSpan delta) => _clock.Advance(delta);

    /// <summary>Waits (in real time) until the clock has been waited on <paramref name="count"/> times, then advances it.</summary>
    public async Task AdvanceOnceWaitedOnAsync(int count, TimeSpan delta)
    {
        for (var i = 0; i < 1000 && Waits < count; i++)
            await Task.Delay(10);
        Assert.Equal(count, Waits);
        Advance(delta);
    }
}
