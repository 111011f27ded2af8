using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Agent.Tests;

public sealed class WakeSignalTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public async Task Wait_ends_with_true_when_woken()
    {
        var signal = new WakeSignal();
        var waiting = signal.WaitAsync(TimeSpan.FromMinutes(10), _clock, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        signal.Set();

        Assert.True(await waiting);
    }

    [Fact]
    public async Task Wait_ends_with_false_when_the_interval_passes_first()
    {
        var signal = new WakeSignal();
        var waiting = signal.WaitAsync(TimeSpan.FromMinutes(10), _clock, CancellationToken.None);

        _clock.Advance(TimeSpan.FromMinutes(10));

        Assert.False(await waiting);
    }

    [Fact]
    public async Task Wake_while_nobody_waits_is_kept_for_the_next_wait_and_several_count_as_one()
    {
        var signal = new WakeSignal();
        signal.Set();
        signal.Set();

        Assert.True(await signal.WaitAsync(TimeSpan.FromMinutes(10), _clock, CancellationToken.None));
        var next = signal.WaitAsync(TimeSpan.FromMinutes(10), _clock, CancellationToken.None);
        Assert.False(next.IsCompleted);
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.False(await next);
    }

    [Theory]
    [InlineData(null, "mqtts://10.0.0.5:8883", "mqtts://10.0.0.5:8883")]
    [InlineData(null, "mqtt://10.0.0.5:1883", "mqtt://10.0.0.5:1883")]
    [InlineData("mqtt://broker:1884", "mqtt://10.0.0.5:1883", "mqtt://broker:1884")]
    [InlineData("none", "mqtt://10.0.0.5:1883", null)]
    [InlineData(null, null, null)]
    [InlineData(null, "http://10.0.0.5:8080", null)]
    public void Broker_is_the_option_else_the_enrollment_answer(string? option, string? enrolled, string? expected) =>
        Assert.Equal(expected is null ? null : new Uri(expected), WakeListener.BrokerFrom(option, enrolled));
}
