using System.Buffers;
using EdgeMdm.Cloud.Packages;
using EdgeMdm.Cloud.Sites;
using EdgeMdm.Cloud.Telemetry;
using EdgeMdm.Contracts.Sync;
using Grpc.Core;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// The sync service (sync.proto, docs/adr/0001-sync-protocol.md): it only checks the shape of what arrives
/// and hands it to the store, where exactly-once is decided. The caller's site comes from
/// <see cref="SiteAuthInterceptor"/>, which every call passes first.
/// </summary>
internal sealed class SiteSyncService(
    IUpstreamStore upstream, IFeedStore feed, IPackageStore packages, IBlobStore blobs, TimeProvider time, HubMetrics metrics, ILogger<SiteSyncService> logger)
    : SiteSync.SiteSyncBase
{
    /// <summary>Largest <see cref="BlobChunk.Data"/> (sync.proto).</summary>
    public const int BlobChunkBytes = 64 * 1024;

    /// <summary>Most changes in one upstream or downstream batch (ADR 0001).</summary>
    public const int MaxBatchChanges = 500;

    /// <summary>Changes per downstream batch when the site asks for 0.</summary>
    public const int DefaultPullChanges = 200;

    /// <summary>A downstream batch stops growing past this many bytes (it always holds at least one change).</summary>
    public const int MaxBatchBytes = 1024 * 1024;

    public override async Task<HelloReply> Hello(HelloRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var site = SiteAuthInterceptor.SiteOf(context);
        await upstream.RecordHelloAsync(site, ReportOf(request), time.GetUtcNow(), context.CancellationToken);
        var reply = new HelloReply
        {
            SiteId = site,
            AppliedThrough = await upstream.AppliedThroughAsync(site, context.CancellationToken),
            FeedHead = await feed.FeedHeadAsync(site, context.CancellationToken),
        };
        SyncLog.SiteHello(logger, site, request?.ApplianceVersion ?? "", reply.AppliedThrough, reply.FeedHead);
        return reply;
    }

    /// <summary>The site's view of its sync from its Hello; null from an appliance that does not send it (no uplink state).</summary>
    internal static SiteSyncReport? ReportOf(HelloRequest? request)
    {
        if (request is null || string.IsNullOrWhiteSpace(request.UplinkState))
            return null;
        return new SiteSyncReport(
            request.OutboxDepth,
            request.OutboxHead,
            UnixTime(request.OldestPendingUnixMs),
            request.UplinkState.Length > 32 ? request.UplinkState[..32] : request.UplinkState,
            UnixTime(request.LastSyncUnixMs));
    }

    /// <summary>0 (not set) and values no clock gives are null.</summary>
    private static DateTimeOffset? UnixTime(long ms) =>
        ms > 0 && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public override async Task Push(IAsyncStreamReader<UpstreamBatch> requestStream, IServerStreamWriter<UpstreamAck> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var site = SiteAuthInterceptor.SiteOf(context);
        try
        {
            await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken))
            {
                Validate(batch);
                var appliedThrough = await upstream.ApplyUpstreamAsync(site, batch.Changes, time.GetUtcNow(), context.CancellationToken);
                SyncLog.SitePushed(logger, site, batch.Changes.Count, appliedThrough);
                await responseStream.WriteAsync(new UpstreamAck { AppliedThrough = appliedThrough }, context.CancellationToken);
            }
        }
        catch (IOException exception)
        {
            // A cut uplink is normal weather, not a hub error: whatever was applied stays applied, and the site
            // learns where to resume from its next Hello.
            SyncLog.SitePushCut(logger, site, exception.Message);
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.InvalidArgument)
        {
            metrics.PushRefused();
            throw;
        }
    }

    public override async Task Pull(PullRequest request, IServerStreamWriter<DownstreamBatch> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var site = SiteAuthInterceptor.SiteOf(context);
        var max = request.MaxChanges == 0 ? DefaultPullChanges : (int)Math.Min(request.MaxChanges, MaxBatchChanges);
        var after = request.AfterPosition;
        var sent = 0;
        while (true)
        {
            var changes = await feed.ReadFeedAsync(site, after, max, context.CancellationToken);
            if (changes.Count == 0)
                break;
            var batch = BoundedBatch(changes);
            await responseStream.WriteAsync(batch, context.CancellationToken);
            sent += batch.Changes.Count;
            after = batch.ThroughPosition;

            // Fewer than asked for (and all of them sent): the feed was drained at the time of the read.
            if (changes.Count < max && batch.Changes.Count == changes.Count)
                break;
        }

        SyncLog.SitePulled(logger, site, request.AfterPosition, sent, after);
    }

    /// <summary>
    /// Streams a blob of the site's tenant from the requested offset in 64 KiB chunks, read from disk as they
    /// are sent: however large the blob, one chunk is in memory. A blob outside the tenant's catalog is
    /// NOT_FOUND exactly like an unknown one, so a site cannot probe another tenant's packages.
    /// </summary>
    public override async Task FetchBlob(FetchBlobRequest request, IServerStreamWriter<BlobChunk> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var site = SiteAuthInterceptor.SiteOf(context);
        var size = await packages.PackageSizeForSiteAsync(site, request.Sha256, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"no package blob '{request.Sha256}' in this site's catalog"));
        if (request.Offset > (ulong)size)
            throw new RpcException(new Status(StatusCode.OutOfRange, $"offset {request.Offset} is past the end of the blob ({size} bytes)"));
        await using var file = blobs.OpenRead(request.Sha256);
        if (file is null)
        {
            SyncLog.BlobMissing(logger, request.Sha256, blobs is DirectoryBlobStore directory ? directory.DirectoryPath : "");
            throw new RpcException(new Status(StatusCode.Unavailable, $"blob '{request.Sha256}' is not readable on this hub replica; try again later"));
        }

        // Packages are zip files already: gzip would spend the hub's CPU to save next to nothing on the wire.
        context.WriteOptions = new WriteOptions(WriteFlags.NoCompress);
        file.Seek((long)request.Offset, SeekOrigin.Begin);
        var buffer = ArrayPool<byte>.Shared.Rent(BlobChunkBytes);
        try
        {
            var offset = (long)request.Offset;
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, BlobChunkBytes), context.CancellationToken)) > 0)
            {
                var chunk = new BlobChunk { Offset = (ulong)offset, Data = Google.Protobuf.ByteString.CopyFrom(buffer, 0, read), TotalSize = (ulong)size };
                await responseStream.WriteAsync(chunk, context.CancellationToken);
                offset += read;
            }

            SyncLog.SiteFetchedBlob(logger, site, request.Sha256, request.Offset, offset - (long)request.Offset);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The leading changes that fit in <see cref="MaxBatchBytes"/>, at least one.</summary>
    private static DownstreamBatch BoundedBatch(IReadOnlyList<HubChange> changes)
    {
        var batch = new DownstreamBatch();
        var bytes = 0;
        foreach (var change in changes)
        {
            bytes += change.CalculateSize();
            if (batch.Changes.Count > 0 && bytes > MaxBatchBytes)
                break;
            batch.Changes.Add(change);
        }

        batch.ThroughPosition = batch.Changes[^1].Position;
        return batch;
    }

    /// <summary>INVALID_ARGUMENT for a batch the store must not see: too big, or a change without sequence or payload.</summary>
    private static void Validate(UpstreamBatch batch)
    {
        if (batch.Changes.Count > MaxBatchChanges)
            throw Invalid($"a batch may hold at most {MaxBatchChanges} changes, this one holds {batch.Changes.Count}");
        for (var i = 0; i < batch.Changes.Count; i++)
        {
            var change = batch.Changes[i];
            if (change.Sequence == 0)
                throw Invalid($"change #{i + 1} of the batch has no sequence (sequences start at 1)");
            if (change.ChangeCase == SiteChange.ChangeOneofCase.None && !HasUnknownFields(change))
                throw Invalid($"change with sequence {change.Sequence} has no payload");
        }
    }

    /// <summary>
    /// A change kind newer than this hub arrives as unknown fields, not as an empty change: it is let through so
    /// the store can skip it and the site's log keeps moving (see Fleet/SqlFleetProjection).
    /// </summary>
    private static bool HasUnknownFields(SiteChange change)
    {
        var rest = change.Clone();
        rest.Sequence = 0;
        rest.AtUnixMs = 0;
        rest.DeviceId = "";
        return rest.CalculateSize() > 0;
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
