using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Packages;

/// <summary>A blob file's size and modification time (ticks, UTC) when its hash was last checked.</summary>
public sealed record BlobFingerprint(long SizeBytes, long ModifiedTicks)
{
    public static BlobFingerprint Of(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new BlobFingerprint(file.Length, file.LastWriteTimeUtc.Ticks);
    }
}

/// <summary>
/// One row of the cache index. <paramref name="Complete"/>: verified and under its final name;
/// <paramref name="Verified"/>: the file's fingerprint at that check (null while incomplete).
/// </summary>
public sealed record CacheEntry(string Sha256, long SizeBytes, long BytesHeld, bool Complete, BlobFingerprint? Verified, DateTimeOffset LastUsedAt);

/// <summary>The cache's counters as last flushed by the running appliance.</summary>
public sealed record CacheCounters(long Hits, long Misses, long FetchFailures, long QuotaBytes);

/// <summary>
/// The index of what the site's blob directory holds (tables <c>package_cache</c>, <c>package_cache_counters</c>).
/// The blob files themselves are the <see cref="BlobCache"/>'s; this is only what is known about them.
/// </summary>
public interface IPackageCacheStore
{
    CacheEntry? CacheEntry(string sha256);

    IReadOnlyList<CacheEntry> CacheEntries();

    /// <summary>Records how much of a blob is held while it is being fetched (not complete).</summary>
    Task RecordFetchProgressAsync(string sha256, long sizeBytes, long bytesHeld, DateTimeOffset now);

    /// <summary>The blob is verified and under its final name, with the fingerprint of that check.</summary>
    Task MarkCachedAsync(string sha256, long sizeBytes, BlobFingerprint verified, DateTimeOffset now);

    /// <summary>The blob's file is gone (evicted, lost or tampered with); removes its row.</summary>
    Task ForgetCachedAsync(string sha256);

    /// <summary>Adds counted downloads and failures, and raises each blob's last use to the time given.</summary>
    Task RecordCacheUsageAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, long hits, long misses, long fetchFailures);

    Task RecordCacheQuotaAsync(long quotaBytes);

    CacheCounters CacheCounters();
}

internal sealed class PackageCacheIndex(EdgeStorage storage) : IPackageCacheStore
{
    private const string SelectCacheEntry =
        """
        SELECT sha256 AS Sha256, size_bytes AS SizeBytes, bytes_held AS BytesHeld, complete AS Complete,
               verified_size AS VerifiedSize, verified_mtime_ticks AS VerifiedModifiedTicks, last_used_at AS LastUsedAt
        FROM package_cache
        """;

    public CacheEntry? CacheEntry(string sha256) =>
        storage.Read(db => db.Query<CacheRow>(SelectCacheEntry + " WHERE sha256 = ?", sha256).FirstOrDefault()?.ToEntry());

    public IReadOnlyList<CacheEntry> CacheEntries() =>
        storage.Read(db => db.Query<CacheRow>(SelectCacheEntry + " ORDER BY last_used_at, sha256").Select(r => r.ToEntry()).ToList());

    public Task RecordFetchProgressAsync(string sha256, long sizeBytes, long bytesHeld, DateTimeOffset now) =>
        storage.WriteAsync(unit => unit.Db.Execute(
            """
            INSERT INTO package_cache (sha256, size_bytes, bytes_held, complete, last_used_at) VALUES (?, ?, ?, 0, ?)
            ON CONFLICT (sha256) DO UPDATE SET size_bytes = excluded.size_bytes, bytes_held = excluded.bytes_held, complete = 0,
                verified_size = NULL, verified_mtime_ticks = NULL
            """,
            sha256, sizeBytes, bytesHeld, now.ToUnixTimeMilliseconds()));

    public Task MarkCachedAsync(string sha256, long sizeBytes, BlobFingerprint verified, DateTimeOffset now) =>
        storage.WriteAsync(unit => unit.Db.Execute(
            """
            INSERT INTO package_cache (sha256, size_bytes, bytes_held, complete, verified_size, verified_mtime_ticks, last_used_at)
            VALUES (?1, ?2, ?2, 1, ?3, ?4, ?5)
            ON CONFLICT (sha256) DO UPDATE SET size_bytes = excluded.size_bytes, bytes_held = excluded.bytes_held, complete = 1,
                verified_size = excluded.verified_size, verified_mtime_ticks = excluded.verified_mtime_ticks
            """,
            sha256, sizeBytes, verified.SizeBytes, verified.ModifiedTicks, now.ToUnixTimeMilliseconds()));

    public Task ForgetCachedAsync(string sha256) =>
        storage.WriteAsync(unit => unit.Db.Execute("DELETE FROM package_cache WHERE sha256 = ?", sha256));

    public Task RecordCacheUsageAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, long hits, long misses, long fetchFailures)
    {
        ArgumentNullException.ThrowIfNull(lastUsed);
        return storage.WriteAsync(unit =>
        {
            foreach (var (sha256, at) in lastUsed)
                unit.Db.Execute("UPDATE package_cache SET last_used_at = max(last_used_at, ?) WHERE sha256 = ?", at.ToUnixTimeMilliseconds(), sha256);
            return unit.Db.Execute(
                "UPDATE package_cache_counters SET hits = hits + ?, misses = misses + ?, fetch_failures = fetch_failures + ? WHERE id = 1",
                hits, misses, fetchFailures);
        });
    }

    public Task RecordCacheQuotaAsync(long quotaBytes) =>
        storage.WriteAsync(unit => unit.Db.Execute("UPDATE package_cache_counters SET quota_bytes = ? WHERE id = 1", quotaBytes));

    public CacheCounters CacheCounters() =>
        storage.Read(db => db.Query<CountersRow>(
                "SELECT hits AS Hits, misses AS Misses, fetch_failures AS FetchFailures, quota_bytes AS QuotaBytes FROM package_cache_counters WHERE id = 1")
            .Select(c => new CacheCounters(c.Hits, c.Misses, c.FetchFailures, c.QuotaBytes))
            .Single());

    private sealed class CacheRow
    {
        public string Sha256 { get; set; } = "";
        public long SizeBytes { get; set; }
        public long BytesHeld { get; set; }
        public int Complete { get; set; }
        public long? VerifiedSize { get; set; }
        public long? VerifiedModifiedTicks { get; set; }
        public long LastUsedAt { get; set; }

        public CacheEntry ToEntry() => new(
            Sha256, SizeBytes, BytesHeld, Complete != 0,
            VerifiedSize is { } size && VerifiedModifiedTicks is { } ticks ? new BlobFingerprint(size, ticks) : null,
            DateTimeOffset.FromUnixTimeMilliseconds(LastUsedAt));
    }

    private sealed class CountersRow
    {
        public long Hits { get; set; }
        public long Misses { get; set; }
        public long FetchFailures { get; set; }
        public long QuotaBytes { get; set; }
    }
}
