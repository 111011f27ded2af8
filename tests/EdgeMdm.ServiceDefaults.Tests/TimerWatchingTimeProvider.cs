using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.ServiceDefaults.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells when code starts waiting on it. A test advances the clock only once the
/// wait exists: an advance made before the timer is created would be lost.
/// </summary>
public sealed class TimerWatchingTimeProvider : FakeTimeProvider
{
    private readonly Channel<TimeSpan> _waits = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _waits.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The due time of the next timer created, once it has been.</summary>
    public async Task<TimeSpan> NextWaitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _waits.Reader.ReadAsync(timeout.Token);
    }
}
