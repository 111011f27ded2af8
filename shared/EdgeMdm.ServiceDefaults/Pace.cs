namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// Keeps a stream of work (changes pushed to the hub, bytes fetched from it) under a rate: a token bucket holding one
/// second's worth, refilled continuously. Taking more than the bucket holds goes into debt and the caller waits until
/// it is paid back, so the average over any stretch longer than a second stays under the rate whatever the sizes; time
/// a slow piece of work already spent is not waited again, as tokens gather meanwhile.
/// </summary>
/// <remarks>
/// The HTTP limits use ASP.NET Core's rate limiter; this one paces a single worker's own loop, on the worker's
/// <see cref="TimeProvider"/>, which <c>System.Threading.RateLimiting</c>'s token bucket cannot take (it refills from
/// the machine's clock even when replenished by hand), so tests drive it with <c>FakeTimeProvider</c> instead of
/// waiting in real time.
/// </remarks>
public sealed class Pace
{
    private readonly long _perSecond;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _refilledAt;

    /// <param name="perSecond">The rate; 0 lifts it.</param>
    /// <param name="startFull">Whether one second's worth may go at once from the start (else the allowance accrues from now).</param>
    public Pace(long perSecond, TimeProvider time, bool startFull = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perSecond);
        ArgumentNullException.ThrowIfNull(time);
        _perSecond = perSecond;
        _time = time;
        _tokens = startFull ? perSecond : 0;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>Takes <paramref name="amount"/> and says how long to wait before the next piece may go.</summary>
    public TimeSpan Take(long amount)
    {
        if (_perSecond == 0)
            return TimeSpan.Zero;
        var now = _time.GetTimestamp();
        _tokens = Math.Min(_perSecond, _tokens + (_time.GetElapsedTime(_refilledAt, now).TotalSeconds * _perSecond));
        _refilledAt = now;
        _tokens -= amount;
        return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _perSecond);
    }

    /// <summary>Takes <paramref name="amount"/> and waits, on the pace's clock, until the next piece may go.</summary>
    public Task WaitAfterAsync(long amount, CancellationToken cancellationToken) =>
        Take(amount) is { } wait && wait > TimeSpan.Zero ? Task.Delay(wait, _time, cancellationToken) : Task.CompletedTask;
}
