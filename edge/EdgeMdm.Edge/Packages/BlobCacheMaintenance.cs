namespace EdgeMdm.Edge.Packages;

/// <summary>
/// Keeps the cache's books: records the quota for <c>cache status</c>, flushes download counts and last uses
/// every few seconds (one write for any number of downloads), and evicts when blueprints stop naming blobs.
/// Runs with or without a hub: a site on its seed alone still serves what it holds.
/// </summary>
internal sealed class BlobCacheMaintenance(BlobCache cache, IPackageCatalog catalog, TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await cache.RecordQuotaAsync();
        await cache.EvictAsync();
        var seen = catalog.Changed.Version;
        while (!stoppingToken.IsCancellationRequested)
        {
            bool changed;
            try
            {
                changed = await catalog.Changed.WaitAsync(seen, FlushInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (changed)
            {
                seen = catalog.Changed.Version;
                await cache.EvictAsync();
            }
            else
            {
                await cache.FlushUsageAsync();
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await cache.FlushUsageAsync();
    }
}
