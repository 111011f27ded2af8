namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// The sites whose pushes this hub process refuses as starting above a gap, each with the position the hub held when
/// the episode began, so the refusal is logged once per episode and not every sync round. An episode ends when the
/// site's log moves past that position. Kept in memory: each replica logs an episode once, and a restart logs it again.
/// </summary>
internal sealed class UpstreamGaps
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ulong> _open = new(StringComparer.Ordinal);

    /// <summary>Records a refused push; true when it begins an episode (none open for the site, or one at another position).</summary>
    public bool Refused(string siteId, ulong appliedThrough)
    {
        lock (_gate)
        {
            if (_open.TryGetValue(siteId, out var heldThrough) && heldThrough == appliedThrough)
                return false;
            _open[siteId] = appliedThrough;
            return true;
        }
    }

    /// <summary>Records that the site's log moved to <paramref name="appliedThrough"/>; true when that ends its episode.</summary>
    public bool Applied(string siteId, ulong appliedThrough)
    {
        lock (_gate)
        {
            if (!_open.TryGetValue(siteId, out var heldThrough) || appliedThrough <= heldThrough)
                return false;
            _open.Remove(siteId);
            return true;
        }
    }
}
