using System.Collections.Concurrent;

namespace EdgeMdm.Cloud.Rollouts;

/// <summary>
/// How many waves of each rollout this hub process has seen open at each site, so that its report, like the site,
/// does not close a wave again when a straggler comes back. In memory: a restart (or another replica) starts from
/// what the devices report, which is what the site shows too after its own restart.
/// </summary>
internal sealed class RolloutWaveMemory
{
    private readonly ConcurrentDictionary<(string Rollout, string Site), int> _open = new();

    public int OpenWaves(string rolloutId, string siteId) => _open.GetValueOrDefault((rolloutId, siteId), 1);

    public void Remember(string rolloutId, string siteId, int openWaves) =>
        _open.AddOrUpdate((rolloutId, siteId), openWaves, (_, known) => Math.Max(known, openWaves));
}
