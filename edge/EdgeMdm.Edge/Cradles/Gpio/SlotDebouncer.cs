using System.Device.Gpio;

namespace EdgeMdm.Edge.Cradles.Gpio;

/// <summary>
/// One input's debounce: the first edge opens a window of <paramref name="window"/>; edges inside it (a switch's
/// bounces) are ignored; when it closes the input is read, and that level counts, once, if it differs from the last one
/// that counted. So a bounce gives one event, and a bounce that ends where it began gives none.
/// </summary>
internal sealed class SlotDebouncer(TimeProvider clock, TimeSpan window, Func<PinValue> read, Action<PinValue> settled) : IDisposable
{
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private PinValue? _last;

    /// <summary>The level that counts before any edge (read at start).</summary>
    public void Prime(PinValue level)
    {
        lock (_lock)
            _last = level;
    }

    /// <summary>An edge on the input (from the driver's callback thread).</summary>
    public void Edge()
    {
        if (window <= TimeSpan.Zero)
        {
            Settle();
            return;
        }

        lock (_lock)
        {
            if (_timer is not null)
                return;
            _timer = clock.CreateTimer(_ => Settle(), null, window, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Settle()
    {
        PinValue level;
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
            level = read();
            if (_last == level)
                return;
            _last = level;
        }

        settled(level);
    }
}
