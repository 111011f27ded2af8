using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.ServiceDefaults.Tests;

public sealed class PaceTests
{
    [Fact]
    public void One_second_s_worth_goes_at_once_and_more_waits_for_its_share()
    {
        var clock = new FakeTimeProvider();
        var pace = new Pace(1000, clock);

        Assert.Equal(TimeSpan.Zero, pace.Take(1000));
        Assert.Equal(TimeSpan.FromSeconds(0.5), pace.Take(500));
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(TimeSpan.FromSeconds(2), pace.Take(2000));
    }

    [Fact]
    public void Started_empty_the_allowance_accrues_from_the_start()
    {
        var clock = new FakeTimeProvider();
        var pace = new Pace(5_000, clock, startFull: false);

        var first = pace.Take(200);
        clock.Advance(first + TimeSpan.FromMilliseconds(10));
        var second = pace.Take(200);

        Assert.Equal(TimeSpan.FromMilliseconds(40), first);
        Assert.Equal(TimeSpan.FromMilliseconds(30), second);
    }

    [Fact]
    public void Time_a_slow_piece_spent_is_not_waited_again()
    {
        var clock = new FakeTimeProvider();
        var pace = new Pace(5_000, clock, startFull: false);

        Assert.Equal(TimeSpan.FromMilliseconds(40), pace.Take(200));
        clock.Advance(TimeSpan.FromMilliseconds(500)); // the next batch over LTE took half a second
        var afterSlow = pace.Take(200);
        var catchingUp = pace.Take(2_000);

        Assert.Equal((TimeSpan.Zero, TimeSpan.Zero), (afterSlow, catchingUp));
    }

    [Fact]
    public async Task Waiting_runs_on_the_pace_s_clock()
    {
        var clock = new FakeTimeProvider();
        var pace = new Pace(1000, clock, startFull: false);

        var waiting = pace.WaitAfterAsync(100, CancellationToken.None);
        var beforeItsShare = waiting.IsCompleted;
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.False(beforeItsShare);
    }

    [Fact]
    public void Zero_lifts_the_limit() => Assert.Equal(TimeSpan.Zero, new Pace(0, new FakeTimeProvider()).Take(long.MaxValue));
}
