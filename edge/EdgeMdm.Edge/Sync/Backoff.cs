namespace EdgeMdm.Edge.Sync;

/// <summary>
/// Exponential backoff with full jitter (a random wait between zero and the doubling ceiling), so that the
/// sites of a region whose WAN came back do not all reconnect to the hub in the same second.
/// </summary>
public sealed class Backoff(TimeSpan initial, TimeSpan max, Random random)
{
    private int _failures;

    public TimeSpan Next()
    {
        var ceiling = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 30)));
        _failures++;
        return TimeSpan.FromMilliseconds(random.NextDouble() * ceiling);
    }

    public void Reset() => _failures = 0;
}
