using System.Net;

namespace EdgeMdm.Discovery.Service;

/// <summary>
/// At most so many unicast replies a second to one source address. A unicast reply goes wherever the packet says it
/// came from, and a small query can draw a reply several times its size: without a bound, anyone on the site network
/// could point the responder at a third host (an amplifier), or keep it busy answering. Multicast replies are bounded
/// by <see cref="MulticastPacer"/> instead. Not thread-safe: one receive loop owns it.
/// </summary>
public sealed class UnicastReplyLimit
{
    /// <summary>Sources remembered at once. Past it, stale ones are forgotten; when every one is current, a new source
    /// waits (is refused) until the second ends: a flood from that many addresses is not answered.</summary>
    public const int MaxRemembered = 4096;

    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private readonly int _perSecond;
    private readonly Dictionary<IPAddress, (DateTimeOffset Start, int Replies)> _windows = [];

    /// <param name="perSecond">Replies a second to one source; 0 lifts the limit.</param>
    public UnicastReplyLimit(int perSecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(perSecond);
        _perSecond = perSecond;
    }

    /// <summary>Whether a reply to <paramref name="source"/> may go at <paramref name="now"/>; true counts it as sent.</summary>
    public bool Allow(IPAddress source, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (_perSecond == 0)
            return true;
        if (_windows.TryGetValue(source, out var window) && now - window.Start < Window)
        {
            if (window.Replies >= _perSecond)
                return false;
            _windows[source] = (window.Start, window.Replies + 1);
            return true;
        }

        if (_windows.Count >= MaxRemembered && !_windows.ContainsKey(source) && !Forget(now))
            return false;
        _windows[source] = (now, 1);
        return true;
    }

    /// <returns>Whether any source was forgotten.</returns>
    private bool Forget(DateTimeOffset now)
    {
        var stale = _windows.Where(entry => now - entry.Value.Start >= Window).Select(entry => entry.Key).ToList();
        foreach (var source in stale)
            _windows.Remove(source);
        return stale.Count > 0;
    }
}
