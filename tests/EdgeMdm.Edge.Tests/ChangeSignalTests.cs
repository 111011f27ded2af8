using System.Diagnostics;
using System.Runtime.ExceptionServices;
using EdgeMdm.Edge.Threading;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Edge.Tests;

public sealed class ChangeSignalTests
{
    [Fact]
    public async Task A_wait_that_times_out_answers_false_without_throwing_and_a_pulse_answers_true()
    {
        var signal = new ChangeSignal();
        var clock = new FakeTimeProvider();
        var thrownHere = 0;
        void Count(object? sender, FirstChanceExceptionEventArgs e)
        {
            // Other tests run in this process at the same time: count only what a signal's wait throws. The handler
            // runs on the throwing thread before it unwinds, so the current stack still holds the throwing frame.
            if (e.Exception is TimeoutException && new StackTrace().ToString().Contains(nameof(ChangeSignal), StringComparison.Ordinal))
                Interlocked.Increment(ref thrownHere);
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            var timingOut = signal.WaitAsync(signal.Version, TimeSpan.FromMilliseconds(50), clock, CancellationToken.None);
            clock.Advance(TimeSpan.FromMilliseconds(50));
            Assert.False(await timingOut);

            var pulsed = signal.WaitAsync(signal.Version, TimeSpan.FromMilliseconds(50), clock, CancellationToken.None);
            signal.Pulse();
            Assert.True(await pulsed);
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        Assert.Equal(0, thrownHere);
    }

    [Fact]
    public async Task A_cancelled_wait_throws_cancellation_rather_than_answering()
    {
        var signal = new ChangeSignal();
        using var cancel = new CancellationTokenSource();
        var waiting = signal.WaitAsync(signal.Version, TimeSpan.FromMinutes(1), TimeProvider.System, cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
