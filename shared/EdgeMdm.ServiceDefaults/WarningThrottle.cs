namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// At most one warning per interval for a fault that comes back with every request while it lasts (a full disk, a
/// database that cannot serve): the first is logged, the ones after it within the interval are counted, and the count
/// goes with the next warning. A flood of faults must not become a flood of log lines, a disk and CPU sink of its own.
/// </summary>
public sealed class WarningThrottle(TimeProvider time, TimeSpan interval)
{
    private readonly Lock _gate = new();
    private long? _last;
    private long _held;

    /// <summary>True when a warning is due now, with how many were held back since the last one; false counts this one as held back.</summary>
    public bool TryWarn(out long heldBack)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (_last is { } last && time.GetElapsedTime(last, now) < interval)
            {
                _held++;
                heldBack = 0;
                return false;
            }

            _last = now;
            heldBack = _held;
            _held = 0;
            return true;
        }
    }
}
