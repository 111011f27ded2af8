using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Tests.Rollouts;

public sealed class RetryPolicyTests
{
    private static readonly DateTimeOffset FailedAt = new(2026, 6, 1, 22, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Delays_double_from_the_first_and_stop_at_the_cap()
    {
        // Act
        var delays = Enumerable.Range(1, 8).Select(RetryPolicy.Default.DelayAfter).Select(d => d.TotalMinutes);

        // Assert
        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60], delays);
    }

    [Fact]
    public void The_next_attempt_is_the_delay_after_the_last_failure()
    {
        Assert.Equal(FailedAt.AddMinutes(4), RetryPolicy.Default.NextAttemptAt(3, FailedAt, InstallFailureReason.DownloadFailed));
    }

    [Fact]
    public void After_the_last_attempt_there_is_no_next()
    {
        // Arrange
        var policy = new RetryPolicy(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(10), 3);

        // Act / Assert
        Assert.Equal(FailedAt.AddSeconds(30), policy.NextAttemptAt(1, FailedAt, InstallFailureReason.StorageFull));
        Assert.Equal(FailedAt.AddMinutes(1), policy.NextAttemptAt(2, FailedAt, InstallFailureReason.StorageFull));
        Assert.Null(policy.NextAttemptAt(3, FailedAt, InstallFailureReason.StorageFull));
    }

    [Fact]
    public void A_device_that_refused_the_package_as_incompatible_is_not_retried()
    {
        Assert.Null(RetryPolicy.Default.NextAttemptAt(1, FailedAt, InstallFailureReason.Incompatible));
        Assert.False(RetryPolicy.IsRetryable(InstallFailureReason.Incompatible));
        Assert.True(RetryPolicy.IsRetryable(InstallFailureReason.SignatureBad));
    }

    [Theory]
    [InlineData(40)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(int.MaxValue)]
    public void Many_failures_never_overflow_the_delay(int failures)
    {
        Assert.Equal(TimeSpan.FromHours(1), RetryPolicy.Default.DelayAfter(failures));
    }

    [Fact]
    public void Attempts_are_counted_from_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RetryPolicy.Default.DelayAfter(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetryPolicy.Default.NextAttemptAt(0, FailedAt, InstallFailureReason.Other));
    }

    [Fact]
    public void Validation_names_each_bad_field()
    {
        Assert.Empty(RetryPolicy.Default.Validate());
        Assert.Equal(["firstDelay"], new RetryPolicy(TimeSpan.Zero, TimeSpan.FromMinutes(1), 3).Validate().Keys);
        Assert.Equal(["maxDelay"], new RetryPolicy(TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(1), 3).Validate().Keys);
        Assert.Equal(["maxAttempts"], new RetryPolicy(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), 0).Validate().Keys);
    }

    [Fact]
    public void Starting_after_another_delay_keeps_the_default_doubling_cap_and_attempts()
    {
        var quick = RetryPolicy.StartingAfter(TimeSpan.FromSeconds(2));
        var slow = RetryPolicy.StartingAfter(TimeSpan.FromHours(2));

        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), RetryPolicy.Default.MaxAttempts), (quick.DelayAfter(1), quick.DelayAfter(2), quick.MaxAttempts));
        Assert.Equal(RetryPolicy.Default.MaxDelay, quick.DelayAfter(40));
        Assert.Equal(TimeSpan.FromHours(2), slow.DelayAfter(3));
        Assert.Empty(slow.Validate());
    }
}
