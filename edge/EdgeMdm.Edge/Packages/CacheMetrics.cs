using System.Diagnostics.Metrics;
using EdgeMdm.Edge.Telemetry;

namespace EdgeMdm.Edge.Packages;

/// <summary>The package cache: bytes held (read at each scrape from its index), downloads served from it and missed.</summary>
public sealed class CacheMetrics
{
    private readonly Counter<long> _downloads;

    public CacheMetrics(IMeterFactory meters, IPackageCacheStore index)
    {
        var meter = meters.Create(EdgeMetrics.MeterName);
        meter.CreateObservableGauge("edgemdm.cache.size", () => index.CacheEntries().Sum(e => e.BytesHeld), "By", "package bytes held, complete and partial");
        _downloads = meter.CreateCounter<long>("edgemdm.cache.downloads", "{download}", "package downloads, by result (hit: served from the cache, miss: not cached yet)");
    }

    public void Hit() => _downloads.Add(1, new KeyValuePair<string, object?>("result", "hit"));

    public void Miss() => _downloads.Add(1, new KeyValuePair<string, object?>("result", "miss"));
}
