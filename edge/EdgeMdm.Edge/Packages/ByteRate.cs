namespace EdgeMdm.Edge.Packages;

/// <summary>
/// A token bucket on bytes: at most one second's worth of burst, refilled continuously at the rate. Taking more
/// than the bucket holds goes into debt, and the caller waits until it is paid back, so the average over any
/// stretch longer than a second stays under the rate whatever the chunk sizes. A rate of 0 lifts the cap.
/// </summary>
public sealed class ByteRate
{
    private readonly long _bytesPerSecond;
    private readonly TimeProvider _clock;
    private double _tokens;
    private long _refilledAt;

    public ByteRate(long bytesPerSecond, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerSecond);
        ArgumentNullException.ThrowIfNull(clock);
        _bytesPerSecond = bytesPerSecond;
        _clock = clock;
        _tokens = bytesPerSecond;
        _refilledAt = clock.GetTimestamp();
    }

    /// <summary>Takes <paramref name="bytes"/> from the bucket and says how long to wait before sending more.</summary>
    public TimeSpan Take(int bytes)
    {
        if (_bytesPerSecond == 0)
            return TimeSpan.Zero;
        var now = _clock.GetTimestamp();
        _tokens = Math.Min(_bytesPerSecond, _tokens + (_clock.GetElapsedTime(_refilledAt, now).TotalSeconds * _bytesPerSecond));
        _refilledAt = now;
        _tokens -= bytes;
        return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _bytesPerSecond);
    }
}
