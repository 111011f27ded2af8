using System.Collections.Concurrent;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Edge.Storage;
using EdgeMdm.ServiceDefaults.Durability;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Packages;

/// <summary>A cached blob ready to be served: its file and the time to send as Last-Modified.</summary>
public sealed record ServableBlob(string Path, DateTimeOffset LastModified);

/// <summary>What became of a fetched <c>.part</c> file offered to the cache.</summary>
public enum Admission
{
    /// <summary>Verified, renamed to its final name and recorded complete.</summary>
    Admitted,

    /// <summary>Its size or hash is not the manifest's: deleted, to be fetched again from zero.</summary>
    Mismatch,

    /// <summary>The manifest's signature does not verify with the site's key (or there is no key yet): kept out.</summary>
    SignatureRefused,
}

/// <summary>
/// The site's package blobs in <c>DATA/blobs</c>: complete files named by their SHA-256, partial ones
/// <c>SHA256.part</c>. A file becomes complete only after its size, hash and manifest signature verified; one
/// whose size or mtime moved since is hashed again before it is served, and never served if that fails.
/// Least recently used blobs that no blueprint names are evicted over <see cref="PackageOptions.PackageCacheBytes"/>;
/// a pinned one never is. Downloads are counted in memory and flushed to the store in batches (by the
/// <see cref="BlobCacheMaintenance"/>), so serving a blob costs no write.
/// </summary>
public sealed partial class BlobCache : IDisposable
{
    public const string DirectoryName = "blobs";
    public const string PartSuffix = ".part";

    private readonly IPackageCacheStore _store;
    private readonly IPackageCatalog _catalog;
    private readonly IPinnedPackages _pinned;
    private readonly CacheMetrics _metrics;
    private readonly long _quotaBytes;
    private readonly TimeProvider _clock;
    private readonly ILogger<BlobCache> _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _verifying = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _evicting = new(1, 1);
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private ConcurrentDictionary<string, DateTimeOffset> _lastUsed = new(StringComparer.Ordinal);
    private long _hits;
    private long _misses;
    private long _failures;

    public BlobCache(
        EdgeStorage storage,
        IPackageCacheStore store,
        IPackageCatalog catalog,
        IPinnedPackages pinned,
        CacheMetrics metrics,
        IOptions<PackageOptions> options,
        TimeProvider clock,
        ILogger<BlobCache> logger)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _catalog = catalog;
        _pinned = pinned;
        _metrics = metrics;
        _quotaBytes = options.Value.PackageCacheBytes;
        _clock = clock;
        _logger = logger;
        Directory = DirectoryIn(Path.GetFullPath(storage.DataDirectory));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public static string DirectoryIn(string dataDirectory) => Path.Combine(dataDirectory, DirectoryName);

    /// <summary>The final name. Callers pass only sha256 values from the catalog, which a valid manifest keeps to 64 hex characters.</summary>
    public string PathOf(string sha256) => Path.Combine(Directory, sha256);

    public string PartPathOf(string sha256) => Path.Combine(Directory, sha256 + PartSuffix);

    /// <summary>Whether the blob is complete in the index and its file is there.</summary>
    public bool Holds(string sha256) => _store.CacheEntry(sha256) is { Complete: true } && File.Exists(PathOf(sha256));

    // ---- serving ----------------------------------------------------------------------------------------

    /// <summary>
    /// The blob's file if the cache holds it intact, counting a hit; null (a miss) when it is not cached yet, or
    /// was lost or found changed and failed its hash: then the row is forgotten and the fetcher woken to fetch it
    /// again. A file whose size and mtime are those of its last verification is not hashed again.
    /// </summary>
    public async Task<ServableBlob?> OpenForServingAsync(SignedManifest package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        var sha256 = package.Manifest.Sha256;
        if (_store.CacheEntry(sha256) is not { Complete: true } entry)
            return Miss();

        var file = new FileInfo(PathOf(sha256));
        if (!file.Exists)
        {
            Log.BlobLost(_logger, sha256);
            await ForgetAsync(sha256);
            return Miss();
        }

        if (BlobFingerprint.Of(file) != entry.Verified && !await ReverifyAsync(package, cancellationToken))
            return Miss();

        file.Refresh();
        Interlocked.Increment(ref _hits);
        _metrics.Hit();
        _lastUsed[sha256] = _clock.GetUtcNow();
        return new ServableBlob(file.FullName, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
    }

    private ServableBlob? Miss()
    {
        Interlocked.Increment(ref _misses);
        _metrics.Miss();
        return null;
    }

    /// <summary>
    /// Hashes a file whose fingerprint moved since its verification, once however many requests ask at the same
    /// time. Intact (touched but not changed): the new fingerprint is recorded. Changed: deleted and forgotten.
    /// </summary>
    private async Task<bool> ReverifyAsync(SignedManifest package, CancellationToken cancellationToken)
    {
        var sha256 = package.Manifest.Sha256;
        var gate = _verifying.GetOrAdd(sha256, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            // Another request may have settled it while this one waited.
            var file = new FileInfo(PathOf(sha256));
            if (_store.CacheEntry(sha256) is not { Complete: true } entry || !file.Exists)
                return false;
            var fingerprint = BlobFingerprint.Of(file);
            if (fingerprint == entry.Verified)
                return true;

            BlobCheck check;
            await using (var content = OpenRead(file.FullName))
                check = await PackageBlob.CheckAsync(content, package.Manifest, cancellationToken);
            if (check.Matches)
            {
                await _store.MarkCachedAsync(sha256, package.Manifest.SizeBytes, fingerprint, _clock.GetUtcNow());
                return true;
            }

            Log.BlobTampered(_logger, sha256, check.Mismatch, check.Actual.Sha256, check.Actual.SizeBytes);
            Interlocked.Increment(ref _failures);
            File.Delete(file.FullName);
            await ForgetAsync(sha256);
            return false;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task ForgetAsync(string sha256)
    {
        await _store.ForgetCachedAsync(sha256);
        _catalog.Changed.Pulse();
    }

    // ---- admission --------------------------------------------------------------------------------------

    /// <summary>
    /// Offers the fully written (and flushed) <c>.part</c> file of <paramref name="package"/>: checks the manifest
    /// signature against the site's key, then the file's size and SHA-256 against the manifest, and only then
    /// renames it to its final name and records it complete. A file that does not match is deleted, counted as a
    /// failure and logged. Evicts afterwards if the cache went over its quota.
    /// </summary>
    public async Task<Admission> AdmitAsync(SignedManifest package, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        var manifest = package.Manifest;
        if (_catalog.Current.Key is not { } key || !ManifestVerifier.FromPem(key.PublicKeyPem).Verify(package))
            return Admission.SignatureRefused;

        var part = PartPathOf(manifest.Sha256);
        BlobCheck check;
        await using (var content = OpenRead(part))
            check = await PackageBlob.CheckAsync(content, manifest, cancellationToken);
        if (!check.Matches)
        {
            Log.FetchedBlobRejected(_logger, manifest.Sha256, check.Mismatch, check.Actual.Sha256, check.Actual.SizeBytes);
            Interlocked.Increment(ref _failures);
            File.Delete(part);
            await _store.RecordFetchProgressAsync(manifest.Sha256, manifest.SizeBytes, 0, _clock.GetUtcNow());
            return Admission.Mismatch;
        }

        var final = PathOf(manifest.Sha256);
        // The name is on the disk before the index says the blob is cached.
        DurableFiles.MoveFile(part, final, overwrite: true);
        await _store.MarkCachedAsync(manifest.Sha256, manifest.SizeBytes, BlobFingerprint.Of(new FileInfo(final)), _clock.GetUtcNow());
        Log.BlobCached(_logger, manifest.Sha256, manifest.PackageName, manifest.VersionCode, manifest.SizeBytes);
        await EvictAsync();
        return Admission.Admitted;
    }

    private static FileStream OpenRead(string path) =>
        new(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, Options = FileOptions.SequentialScan, BufferSize = 0 });

    // ---- eviction and usage -----------------------------------------------------------------------------

    /// <summary>
    /// While the cache holds more than its quota, removes the least recently used blob (complete or partial) that
    /// no blueprint names. Pinned blobs stay whatever the total; <see cref="Describe"/> then reports over-quota.
    /// </summary>
    public async Task EvictAsync()
    {
        await _evicting.WaitAsync();
        try
        {
            await FlushUsageAsync();
            var pinned = _pinned.PinnedPackages().Select(p => p.Manifest.Sha256).ToHashSet(StringComparer.Ordinal);
            var entries = _store.CacheEntries();
            var held = entries.Sum(BytesOnDisk);
            foreach (var victim in entries.Where(e => !pinned.Contains(e.Sha256)).OrderBy(e => e.LastUsedAt).ThenBy(e => e.Sha256, StringComparer.Ordinal))
            {
                if (held <= _quotaBytes)
                    break;
                var freed = BytesOnDisk(victim);
                File.Delete(PathOf(victim.Sha256));
                File.Delete(PartPathOf(victim.Sha256));
                await _store.ForgetCachedAsync(victim.Sha256);
                held -= freed;
                Log.BlobEvicted(_logger, victim.Sha256, freed, victim.LastUsedAt);
            }
        }
        finally
        {
            _evicting.Release();
        }
    }

    private static long BytesOnDisk(CacheEntry entry) => entry.Complete ? entry.SizeBytes : entry.BytesHeld;

    /// <summary>
    /// Hands the counted downloads, failures and last uses to the store in one write, and starts counting afresh.
    /// When it returns, everything counted before the call is in the store, even what a concurrent flush took.
    /// </summary>
    public async Task FlushUsageAsync()
    {
        await _flushing.WaitAsync();
        try
        {
            var lastUsed = Interlocked.Exchange(ref _lastUsed, new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal));
            var hits = Interlocked.Exchange(ref _hits, 0);
            var misses = Interlocked.Exchange(ref _misses, 0);
            var failures = Interlocked.Exchange(ref _failures, 0);
            if (lastUsed.IsEmpty && hits == 0 && misses == 0 && failures == 0)
                return;
            await _store.RecordCacheUsageAsync(lastUsed, hits, misses, failures);
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Counts a fetch that failed for a reason of the blob's own (the hub sent other bytes than announced).</summary>
    public void CountFetchFailure() => Interlocked.Increment(ref _failures);

    public Task RecordQuotaAsync() => _store.RecordCacheQuotaAsync(_quotaBytes);

    /// <summary>
    /// The cache as the store and the blob directory show it, for <c>edgemdm-edge cache status</c> (which may run
    /// in another process than serve: counters are those serve last flushed, at most a few seconds old).
    /// </summary>
    public static CacheStatus Describe(IPackageCacheStore store, IPinnedPackages pinned, string blobDirectory)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(pinned);
        var entries = store.CacheEntries();
        var complete = entries.Where(e => e.Complete).ToList();
        var counters = store.CacheCounters();
        var pending = pinned.PinnedPackages()
            .Where(p => !complete.Exists(e => string.Equals(e.Sha256, p.Manifest.Sha256, StringComparison.Ordinal)))
            .Select(p =>
            {
                var part = new FileInfo(Path.Combine(blobDirectory, p.Manifest.Sha256 + PartSuffix));
                return new PendingFetch(p.Manifest.Sha256, p.Manifest.PackageName, p.Manifest.VersionCode, part.Exists ? part.Length : 0, p.Manifest.SizeBytes);
            })
            .OrderBy(p => p.PackageName, StringComparer.Ordinal)
            .ThenBy(p => p.VersionCode)
            .ToList();
        var bytes = complete.Sum(e => e.SizeBytes) + pending.Sum(p => p.BytesHeld);
        return new CacheStatus(bytes, complete.Count, counters.QuotaBytes, bytes > counters.QuotaBytes, counters.Hits, counters.Misses, counters.FetchFailures, pending);
    }

    public void Dispose()
    {
        _evicting.Dispose();
        _flushing.Dispose();
        foreach (var gate in _verifying.Values)
            gate.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Package blob {Sha256} cached ({PackageName} {VersionCode}, {SizeBytes} bytes)")]
        public static partial void BlobCached(ILogger logger, string sha256, string packageName, long versionCode, long sizeBytes);

        [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Fetched blob {Sha256} rejected ({Mismatch}: got {ActualSha256}, {ActualSize} bytes); deleted, it will be fetched again from zero")]
        public static partial void FetchedBlobRejected(ILogger logger, string sha256, BlobMismatch mismatch, string actualSha256, long actualSize);

        [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Cached blob {Sha256} changed on disk ({Mismatch}: now {ActualSha256}, {ActualSize} bytes); deleted, not served, fetched again")]
        public static partial void BlobTampered(ILogger logger, string sha256, BlobMismatch mismatch, string actualSha256, long actualSize);

        [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Cached blob {Sha256} is missing from the blob directory; it will be fetched again")]
        public static partial void BlobLost(ILogger logger, string sha256);

        [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Package blob {Sha256} evicted ({Bytes} bytes, last used {LastUsedAt:O})")]
        public static partial void BlobEvicted(ILogger logger, string sha256, long bytes, DateTimeOffset lastUsedAt);
    }
}

/// <summary>What <c>cache status</c> prints.</summary>
/// <param name="Bytes">Held on disk: complete blobs and the parts of pending ones.</param>
/// <param name="OverQuota">More than the quota is held because blueprints name more than it allows: nothing more can be evicted.</param>
public sealed record CacheStatus(
    long Bytes,
    int Blobs,
    long QuotaBytes,
    bool OverQuota,
    long Hits,
    long Misses,
    long FetchFailures,
    IReadOnlyList<PendingFetch> Pending);

/// <summary>A blob a blueprint names that the cache does not hold complete yet.</summary>
public sealed record PendingFetch(string Sha256, string PackageName, long VersionCode, long BytesHeld, long SizeBytes);
