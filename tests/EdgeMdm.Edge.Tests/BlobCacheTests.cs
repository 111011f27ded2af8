using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Edge.Tests;

/// <summary>The blob cache: only verified bytes are ever served, and eviction never takes a pinned blob.</summary>
public sealed class BlobCacheTests
{
    private const int Size = 100_000;

    private static Task<HttpResponseMessage> DownloadAsync(EdgeServer server, string secret, TestPackage package) =>
        server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/packages/" + package.Sha256, secret));

    private static CacheStatus Describe(EdgeServer server) =>
        BlobCache.Describe(server.Get<IPackageCacheStore>(), server.Get<IPinnedPackages>(), server.Cache.Directory);

    /// <summary>The seed's scanner, <see cref="Size"/> bytes, published by the hub with its signing key.</summary>
    private static async Task<TestPackage> PublishScannerAsync(EdgeServer server, HubCatalog hub)
    {
        var scanner = hub.Package(HubCatalog.SeedApp, HubCatalog.SeedVersion, Size);
        await HubCatalog.ApplyAsync(server, hub.Key(), hub.Published(scanner));
        return scanner;
    }

    /// <summary>The published scanner fetched into the cache, and the secret of an enrolled device that may download it.</summary>
    private static async Task<(TestPackage Scanner, string Secret)> CachedScannerAndDeviceAsync(EdgeServer server, HubCatalog hub)
    {
        var scanner = await PublishScannerAsync(server, hub);
        await HubCatalog.CacheAsync(server, scanner);
        return (scanner, (await server.EnrollAsync("SN-1")).DeviceSecret);
    }

    [Fact]
    public async Task A_fetched_file_with_other_bytes_is_deleted_and_never_admitted()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var scanner = await PublishScannerAsync(server, hub);
        var corrupt = scanner.Bytes.ToArray();
        corrupt[Size / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(server.Cache.PartPathOf(scanner.Sha256), corrupt);

        // Act
        var admission = await server.Cache.AdmitAsync(scanner.Release, CancellationToken.None);

        // Assert
        Assert.Equal(Admission.Mismatch, admission);
        Assert.False(File.Exists(server.Cache.PartPathOf(scanner.Sha256)));
        Assert.False(File.Exists(server.Cache.PathOf(scanner.Sha256)));
        Assert.False(server.Cache.Holds(scanner.Sha256));
        await server.Cache.FlushUsageAsync();
        Assert.Equal(1L, server.Get<IPackageCacheStore>().CacheCounters().FetchFailures);
    }

    [Fact]
    public async Task A_blob_changed_on_disk_after_caching_is_not_served_and_is_dropped()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var (scanner, secret) = await CachedScannerAndDeviceAsync(server, hub);
        var tampered = scanner.Bytes.ToArray();
        tampered[10] ^= 0x01;
        var path = server.Cache.PathOf(scanner.Sha256);
        await File.WriteAllBytesAsync(path, tampered);
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddMinutes(1));

        // Act
        using var response = await DownloadAsync(server, secret, scanner);

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(File.Exists(path));
        Assert.Null(server.Get<IPackageCacheStore>().CacheEntry(scanner.Sha256));
        await server.Cache.FlushUsageAsync();
        Assert.Equal((1L, 1L), (server.Get<IPackageCacheStore>().CacheCounters().FetchFailures, server.Get<IPackageCacheStore>().CacheCounters().Misses));
    }

    [Fact]
    public async Task A_blob_touched_but_unchanged_is_hashed_again_and_served()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var (scanner, secret) = await CachedScannerAndDeviceAsync(server, hub);
        var path = server.Cache.PathOf(scanner.Sha256);
        var touchedAt = File.GetLastWriteTimeUtc(path).AddMinutes(5);
        File.SetLastWriteTimeUtc(path, touchedAt);

        // Act
        using var response = await DownloadAsync(server, secret, scanner);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(scanner.Bytes, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(touchedAt.Ticks, server.Get<IPackageCacheStore>().CacheEntry(scanner.Sha256)!.Verified!.ModifiedTicks);
    }

    [Fact]
    public async Task A_pinned_blob_is_kept_over_the_quota_and_reported_over_quota()
    {
        // Arrange: a quota smaller than the one blob every blueprint names
        await using var server = await EdgeServer.StartAsync("--package-cache-bytes", "1000");
        using var hub = new HubCatalog();
        var scanner = await PublishScannerAsync(server, hub);

        // Act
        await HubCatalog.CacheAsync(server, scanner);
        await server.Cache.EvictAsync();
        await server.Cache.RecordQuotaAsync();

        // Assert
        Assert.True(server.Cache.Holds(scanner.Sha256));
        var status = Describe(server);
        Assert.Equal((Size, 1, 1000L, true), (status.Bytes, status.Blobs, status.QuotaBytes, status.OverQuota));
    }

    [Fact]
    public async Task Eviction_takes_the_least_recently_used_unpinned_blobs_first_and_never_a_pinned_one()
    {
        // Arrange: room for two and a half blobs; the seed names the scanner in both groups
        await using var server = await EdgeServer.StartAsync("--package-cache-bytes", (Size * 5 / 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var hub = new HubCatalog();
        var scanner = hub.Package(HubCatalog.SeedApp, HubCatalog.SeedVersion, Size);
        var b = hub.Package("com.acme.bravo", 1, Size);
        var c = hub.Package("com.acme.charlie", 1, Size);
        var d = hub.Package("com.acme.delta", 1, Size);
        await HubCatalog.ApplyAsync(
            server, hub.Key(), hub.Published(scanner), hub.Published(b), hub.Published(c), hub.Published(d),
            hub.Blueprint("pickers", scanner, b), hub.Blueprint("vehicle-mounts", scanner, c));
        var picker = (await server.EnrollAsync("SN-1")).DeviceSecret;
        await HubCatalog.CacheAsync(server, scanner);
        await HubCatalog.CacheAsync(server, b);
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        await HubCatalog.CacheAsync(server, c);
        await server.Cache.RecordQuotaAsync();

        // Three pinned blobs over a quota of two and a half: all kept
        Assert.True(Describe(server).OverQuota);
        Assert.True(new[] { scanner, b, c }.All(p => server.Cache.Holds(p.Sha256)));

        // b, cached before c, is used after it
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        using (var download = await DownloadAsync(server, picker, b))
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);

        // Act: the blueprints stop naming b and c, and d arrives later still
        await HubCatalog.ApplyAsync(server, hub.Blueprint("pickers", scanner), hub.Blueprint("vehicle-mounts", scanner));
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        await File.WriteAllBytesAsync(server.Cache.PartPathOf(d.Sha256), d.Bytes);
        Assert.Equal(Admission.Admitted, await server.Cache.AdmitAsync(d.Release, CancellationToken.None));
        await server.Cache.EvictAsync();

        // Assert: c (least recently used) went first, then b; the pinned scanner and the newest, d, stay
        Assert.True(server.Cache.Holds(scanner.Sha256));
        Assert.True(server.Cache.Holds(d.Sha256));
        Assert.False(server.Cache.Holds(b.Sha256));
        Assert.False(server.Cache.Holds(c.Sha256));
        Assert.False(File.Exists(server.Cache.PathOf(c.Sha256)));
        Assert.False(Describe(server).OverQuota);
    }
}
