using EdgeMdm.Edge.Sync;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Edge.Tests;

public sealed class PushPaceTests
{
    [Fact]
    public void Batches_sent_faster_than_the_rate_wait_for_their_share()
    {
        var clock = new FakeTimeProvider();
        var pace = new PushPace(5_000, clock);

        var first = pace.After(200);
        clock.Advance(first + TimeSpan.FromMilliseconds(10));
        var second = pace.After(200);

        Assert.Equal(TimeSpan.FromMilliseconds(40), first);
        Assert.Equal(TimeSpan.FromMilliseconds(30), second);
    }

    [Fact]
    public void Time_a_slow_batch_spent_is_not_waited_again_and_the_average_stays_under_the_rate()
    {
        var clock = new FakeTimeProvider();
        var pace = new PushPace(5_000, clock);

        Assert.Equal(TimeSpan.FromMilliseconds(40), pace.After(200));
        clock.Advance(TimeSpan.FromMilliseconds(500)); // the next batch over LTE took half a second
        var afterSlow = pace.After(200);
        var catchingUp = pace.After(2_000);             // 2400 sent in 500 ms: still under 5000/s
        var overTheRate = pace.After(200);              // 2600: allowed at 520 ms

        Assert.Equal((TimeSpan.Zero, TimeSpan.Zero), (afterSlow, catchingUp));
        Assert.Equal(TimeSpan.FromMilliseconds(20), overTheRate);
    }

    [Fact]
    public void Zero_lifts_the_limit() => Assert.Equal(TimeSpan.Zero, new PushPace(0, new FakeTimeProvider()).After(1_000_000));
}
