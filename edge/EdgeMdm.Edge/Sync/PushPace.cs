namespace EdgeMdm.Edge.Sync;

/// <summary>
/// Keeps a push under a rate in changes per second, so a catch-up after a long outage leaves the appliance's
/// CPU and disk to the floor's check-ins. The allowance is counted from the start of the push, so the average
/// over the push never passes the rate, and time a slow batch (a slow uplink) already spent is not waited again.
/// </summary>
public sealed class PushPace(int maxChangesPerSecond, TimeProvider clock)
{
    private long _startTimestamp;
    private long _sent;

    /// <summary>How long to wait after <paramref name="changes"/> more were sent before the next batch may go.</summary>
    public TimeSpan After(int changes)
    {
        if (maxChangesPerSecond <= 0)
            return TimeSpan.Zero;
        if (_sent == 0)
            _startTimestamp = clock.GetTimestamp();
        _sent += changes;
        var allowedAt = TimeSpan.FromSeconds((double)_sent / maxChangesPerSecond);
        var elapsed = clock.GetElapsedTime(_startTimestamp);
        return allowedAt > elapsed ? allowedAt - elapsed : TimeSpan.Zero;
    }
}
