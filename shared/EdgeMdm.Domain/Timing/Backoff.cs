namespace EdgeMdm.Domain.Timing;

/// <summary>How long to wait before trying an absent peer again.</summary>
public static class Backoff
{
    /// <summary>
    /// "Full jitter": the wait before retry <paramref name="retry"/> (0 for the first) is <paramref name="draw"/> (in
    /// [0, 1)) of a ceiling that starts at <paramref name="first"/> and doubles with each retry up to
    /// <paramref name="max"/>. The wait stays random at the ceiling, so peers that lost the same server at the same
    /// moment (the sites of a region whose WAN fell, the devices of a restarted appliance) do not retry in step, and
    /// a peer that came back is used after about a third of <paramref name="max"/> rather than half of it.
    /// </summary>
    public static TimeSpan FullJitter(int retry, TimeSpan first, TimeSpan max, double draw)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retry);
        var ceiling = Math.Min(max.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, Math.Min(retry, 30)));
        return TimeSpan.FromMilliseconds(Math.Clamp(draw, 0, 1) * ceiling);
    }
}
