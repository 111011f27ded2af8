using EdgeMdm.Domain.Timing;

namespace EdgeMdm.Domain.Tests.Timing;

public sealed class BackoffTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(0, 1.0, 1)]
    [InlineData(1, 1.0, 2)]
    [InlineData(3, 1.0, 8)]
    [InlineData(4, 1.0, 15)]
    [InlineData(4, 0.5, 7.5)]
    [InlineData(1000, 0.5, 7.5)]
    [InlineData(2, 0.0, 0)]
    public void The_wait_is_the_draw_of_a_ceiling_doubling_from_first_up_to_max(int retry, double draw, double expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Backoff.FullJitter(retry, First, Max, draw));
    }

    [Fact]
    public void A_draw_outside_zero_to_one_stays_within_the_ceiling()
    {
        Assert.Equal(Max, Backoff.FullJitter(50, First, Max, 7));
        Assert.Equal(TimeSpan.Zero, Backoff.FullJitter(50, First, Max, -1));
    }
}
