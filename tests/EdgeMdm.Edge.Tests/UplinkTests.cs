using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Edge.Tests;

public sealed class UplinkTests
{
    [Fact]
    public void Without_a_hub_the_uplink_stays_not_configured()
    {
        var monitor = new UplinkMonitor(new FakeTimeProvider(), configured: false);

        Assert.False(monitor.Succeeded());
        Assert.False(monitor.Failed("refused"));
        Assert.Equal(UplinkState.NotConfigured, monitor.State);
    }

    [Fact]
    public void Failures_are_Trying_at_first_and_Offline_after_thirty_seconds_without_a_success()
    {
        var clock = new FakeTimeProvider();
        var monitor = new UplinkMonitor(clock, configured: true);

        Assert.Equal(UplinkState.Trying, monitor.State);
        Assert.True(monitor.Succeeded());
        Assert.Equal(UplinkState.Connected, monitor.State);
        Assert.True(monitor.Failed("connection refused"));
        Assert.Equal(UplinkState.Trying, monitor.State);
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(monitor.Failed("connection refused"));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(monitor.Failed("connection refused"));
        Assert.Equal(UplinkState.Offline, monitor.State);
        Assert.Equal("connection refused", monitor.LastError);

        var before = clock.GetUtcNow();
        Assert.True(monitor.Succeeded());
        Assert.Equal(UplinkState.Connected, monitor.State);
        Assert.Equal(before, monitor.LastSuccessAt);
        Assert.Null(monitor.LastError);
    }
}
