using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using Grpc.Core;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Packages;

/// <summary>
/// Fills the cache from the hub (only when one is configured): every blob a blueprint names and the cache does
/// not hold is fetched with <c>FetchBlob</c> from the byte its <c>.part</c> file reached, so a cut costs only the
/// bytes in flight; chunks are appended only at the offset they claim, under
/// <see cref="PackageOptions.PackageFetchBytesPerSecond"/>, and the file is admitted to the cache only once it
/// verifies (<see cref="BlobCache.AdmitAsync"/>). Failures wait out the sync backoff; a new package, blueprint
/// or key from the feed, or a blob found lost, wakes it at once. Devices never wait on it: until a blob is
/// cached its download answers 503.
/// </summary>
public sealed partial class PackageFetcher(
    IOptions<SyncOptions> sync,
    IOptions<PackageOptions> options,
    IPackageCacheStore store,
    IPackageCatalog catalog,
    IPinnedPackages pinned,
    BlobCache cache,
    HubTrust trust,
    TimeProvider clock,
    ILogger<PackageFetcher> logger) : BackgroundService
{
    // Nothing to do is the normal state; a look now and then costs nothing and catches a file deleted by hand.
    private static readonly TimeSpan IdleRecheck = TimeSpan.FromMinutes(1);

    // Blobs are appended in these steps between fsyncs and progress records: a crash loses at most this much.
    private const long ProgressStepBytes = 4 * 1024 * 1024;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = sync.Value;
        if (settings.HubUrl is null)
            return;
        await Task.Yield();

        // Only a pass that got nothing waits longer each time: a link that delivers between cuts (LTE on the move)
        // is used again at once, not after a backoff grown by every cut.
        var retry = Retries.UntilCancelled(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(settings.SyncRetryMaxSeconds), clock, e => e is NothingFetchedException);
        var rate = new Pace(options.Value.PackageFetchBytesPerSecond, clock);
        using var channel = HubChannel.Create(settings.HubUrl, trust);
        var client = new SiteSync.SiteSyncClient(channel);
        var headers = HubChannel.Headers(settings.Credential);
        while (!stoppingToken.IsCancellationRequested)
        {
            var seen = catalog.Changed.Version;
            try
            {
                var complete = await retry.ExecuteAsync(
                    async token => await FetchMissingAsync(client, headers, rate, token) switch
                    {
                        Pass.Complete => true,
                        Pass.Progressed => false,
                        _ => throw new NothingFetchedException(),
                    },
                    stoppingToken);
                if (complete)
                    await catalog.Changed.WaitAsync(seen, IdleRecheck, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private enum Pass
    {
        /// <summary>Every package devices are offered is cached.</summary>
        Complete,

        /// <summary>Some fetch failed, but bytes arrived: try again at once.</summary>
        Progressed,

        /// <summary>Nothing arrived: wait before the next pass.</summary>
        NothingFetched,
    }

    /// <summary>One pass over every package devices are offered and the cache lacks.</summary>
    private async Task<Pass> FetchMissingAsync(SiteSync.SiteSyncClient client, Metadata headers, Pace rate, CancellationToken stoppingToken)
    {
        var failed = false;
        foreach (var package in pinned.PinnedPackages().Where(p => !cache.Holds(p.Manifest.Sha256)))
        {
            var heldBefore = PartLength(package);
            try
            {
                failed |= !await FetchAsync(client, headers, package, rate, stoppingToken);
            }
            catch (RpcException exception) when (exception.StatusCode is StatusCode.NotFound or StatusCode.OutOfRange)
            {
                // This blob's trouble, not the uplink's (the hub lost it, or holds other bytes than announced):
                // the others are still fetched. What is held may be wrong, so the next attempt starts from zero.
                Log.FetchRefused(logger, package.Manifest.Sha256, exception.Status.Detail);
                File.Delete(cache.PartPathOf(package.Manifest.Sha256));
                failed = true;
            }
            catch (Exception exception) when (HubChannel.IsUplinkFailure(exception, stoppingToken) || exception is InvalidDataException)
            {
                Log.FetchFailed(logger, package.Manifest.Sha256, exception.Message);
                return PartLength(package) > heldBefore ? Pass.Progressed : Pass.NothingFetched;
            }
        }

        return failed ? Pass.NothingFetched : Pass.Complete;
    }

    /// <summary>A pass that fetched nothing: the retry pipeline waits out its backoff before the next.</summary>
    private sealed class NothingFetchedException : Exception;

    private long PartLength(SignedManifest package)
    {
        var part = new FileInfo(cache.PartPathOf(package.Manifest.Sha256));
        return part.Exists ? part.Length : 0;
    }

    /// <summary>Fetches the rest of one blob and offers it to the cache; false when it did not verify.</summary>
    private async Task<bool> FetchAsync(SiteSync.SiteSyncClient client, Metadata headers, SignedManifest package, Pace rate, CancellationToken cancellationToken)
    {
        var manifest = package.Manifest;
        var part = cache.PartPathOf(manifest.Sha256);
        // A crash between the rename and the index update leaves a complete file the index does not know: put it
        // back as the part, which the check below admits without a byte fetched.
        if (File.Exists(cache.PathOf(manifest.Sha256)))
            File.Move(cache.PathOf(manifest.Sha256), part, overwrite: true);
        var held = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (held > manifest.SizeBytes)
        {
            File.Delete(part);
            held = 0;
        }

        if (held < manifest.SizeBytes)
        {
            Log.FetchStarting(logger, manifest.Sha256, manifest.PackageName, manifest.VersionCode, held, manifest.SizeBytes);
            await store.RecordFetchProgressAsync(manifest.Sha256, manifest.SizeBytes, held, clock.GetUtcNow());
            held = await AppendAsync(client, headers, manifest, part, held, rate, cancellationToken);
            if (held < manifest.SizeBytes)
                throw new RpcException(new Status(StatusCode.Unavailable, $"the blob stream ended at byte {held} of {manifest.SizeBytes}"));
        }

        var admission = await cache.AdmitAsync(package, cancellationToken);
        if (admission == Admission.SignatureRefused)
            Log.Unsigned(logger, manifest.Sha256);
        return admission == Admission.Admitted;
    }

    /// <summary>
    /// Appends the hub's chunks to the part file from <paramref name="held"/> on and returns the bytes it holds
    /// after: flushed to disk and recorded every <see cref="ProgressStepBytes"/> and at the end, cut or not.
    /// </summary>
    private async Task<long> AppendAsync(
        SiteSync.SiteSyncClient client, Metadata headers, PackageManifest manifest, string part, long held, Pace rate, CancellationToken cancellationToken)
    {
        var file = new FileStream(part, new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 0 });
        var recorded = held;
        try
        {
            using var call = client.FetchBlob(new FetchBlobRequest { Sha256 = manifest.Sha256, Offset = (ulong)held }, headers, cancellationToken: cancellationToken);
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                if (chunk.Offset != (ulong)held)
                    throw new InvalidDataException($"the hub sent bytes from {chunk.Offset} where {held} was expected");
                if (chunk.TotalSize != (ulong)manifest.SizeBytes)
                    throw new InvalidDataException($"the hub says the blob has {chunk.TotalSize} bytes, its manifest {manifest.SizeBytes}");
                if (held + chunk.Data.Length > manifest.SizeBytes)
                    throw new InvalidDataException($"the hub sent bytes past the blob's end ({manifest.SizeBytes})");

                await file.WriteAsync(chunk.Data.Memory, cancellationToken);
                held += chunk.Data.Length;
                if (held - recorded >= ProgressStepBytes)
                {
                    file.Flush(flushToDisk: true);
                    recorded = held;
                    await store.RecordFetchProgressAsync(manifest.Sha256, manifest.SizeBytes, held, clock.GetUtcNow());
                }

                await rate.WaitAfterAsync(chunk.Data.Length, cancellationToken);
            }
        }
        finally
        {
            // Whatever arrived before a cut is kept and counted: the next attempt resumes after it.
            file.Flush(flushToDisk: true);
            await file.DisposeAsync();
            if (held != recorded)
                await store.RecordFetchProgressAsync(manifest.Sha256, manifest.SizeBytes, held, clock.GetUtcNow());
        }

        return held;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Fetching package blob {Sha256} ({PackageName} {VersionCode}) from byte {Offset} of {SizeBytes}")]
        public static partial void FetchStarting(ILogger logger, string sha256, string packageName, long versionCode, long offset, long sizeBytes);

        [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Fetch of package blob {Sha256} interrupted, will resume: {Error}")]
        public static partial void FetchFailed(ILogger logger, string sha256, string error);

        [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "The hub refused package blob {Sha256}: {Detail}")]
        public static partial void FetchRefused(ILogger logger, string sha256, string detail);

        [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Package blob {Sha256} not admitted: its manifest does not verify with the site's signing key")]
        public static partial void Unsigned(ILogger logger, string sha256);
    }
}
