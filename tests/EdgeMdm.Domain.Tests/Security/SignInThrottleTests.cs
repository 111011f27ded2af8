using EdgeMdm.Domain.Security;

namespace EdgeMdm.Domain.Tests.Security;

public sealed class SignInThrottleTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_key_at_its_limit_waits_until_its_window_ends_then_starts_afresh()
    {
        var throttle = new SignInThrottle(3, TimeSpan.FromMinutes(15));

        for (var i = 0; i < 2; i++)
            throttle.RecordFailure("alice", Start.AddMinutes(i));
        var belowLimit = throttle.RetryAfter("alice", Start.AddMinutes(2));
        throttle.RecordFailure("alice", Start.AddMinutes(2));

        Assert.Null(belowLimit);
        Assert.Equal(TimeSpan.FromMinutes(12), throttle.RetryAfter("alice", Start.AddMinutes(3)));
        Assert.Null(throttle.RetryAfter("bob", Start.AddMinutes(3)));
        Assert.Null(throttle.RetryAfter("alice", Start.AddMinutes(15)));
        throttle.RecordFailure("alice", Start.AddMinutes(16));
        Assert.Null(throttle.RetryAfter("alice", Start.AddMinutes(16)));
    }

    [Fact]
    public void Forgetting_a_key_clears_its_failures()
    {
        var throttle = new SignInThrottle(1, TimeSpan.FromMinutes(15));
        throttle.RecordFailure("alice", Start);

        throttle.Forget("alice");

        Assert.Null(throttle.RetryAfter("alice", Start));
    }

    [Fact]
    public void Tracked_keys_are_bounded_and_expired_windows_make_room()
    {
        var throttle = new SignInThrottle(1, TimeSpan.FromMinutes(1));
        for (var i = 0; i < SignInThrottle.MaxKeys; i++)
            throttle.RecordFailure($"spray-{i}", Start);

        throttle.RecordFailure("late-while-full", Start);
        var sprayedHeld = throttle.RetryAfter("spray-7", Start.AddSeconds(30));
        throttle.RecordFailure("late-after-expiry", Start.AddMinutes(2));

        Assert.NotNull(sprayedHeld);
        Assert.Null(throttle.RetryAfter("late-while-full", Start));
        Assert.NotNull(throttle.RetryAfter("late-after-expiry", Start.AddMinutes(2)));
    }
}
