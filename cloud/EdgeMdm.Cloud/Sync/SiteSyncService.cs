using System.Buffers;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.ServiceDefaults;
using Grpc.Core;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// The sync service (sync.proto, docs/adr/0001-sync-protocol.md): it only checks the shape of what arrives
/// and hands it to the store, where exactly-once is decided. The caller's site is the principal's
/// (<see cref="SiteCredential"/>: every endpoint requires its policy); <see cref="SiteSyncMethods"/> binds the methods.
/// </summary>
internal sealed class SiteSyncService(
    IUpstreamStore upstream, IFeedStore feed, IPackageStore packages, IBlobStore blobs, UpstreamGaps gaps, TimeProvider time, HubMetrics metrics, ILogger<SiteSyncService> logger)
{
    /// <summary>Largest <see cref="BlobChunk.Data"/> (sync.proto).</summary>
    public const int BlobChunkBytes = 64 * 1024;

    /// <summary>Most changes in one upstream or downstream batch (ADR 0001).</summary>
    public const int MaxBatchChanges = 500;

    /// <summary>Changes per downstream batch when the site asks for 0.</summary>
    public const int DefaultPullChanges = 200;

    /// <summary>A downstream batch stops growing past this many bytes (it always holds at least one change).</summary>
    public const int MaxBatchBytes = 1024 * 1024;

    public async Task<HelloReply> Hello(HelloRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var site = SiteCredential.SiteOf(context);

        // An empty site_id means "whichever site my credential is", and the reply tells it.
        if (request is { SiteId.Length: > 0 } && !string.Equals(request.SiteId, site, StringComparison.Ordinal))
        {
            SyncLog.SiteForbidden(logger, site, request.SiteId);
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"the credential of site '{site}' asking for site '{request.SiteId}'"));
        }

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

    public async Task Push(IAsyncStreamReader<UpstreamBatch> requestStream, IServerStreamWriter<UpstreamAck> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var site = SiteCredential.SiteOf(context);
        try
        {
            await foreach (var batch in requestStream.ReadAllAsync(context.CancellationToken))
            {
                if (UpstreamRules.Problem(batch) is { } problem)
                {
                    // Nothing of the batch is applied; batches before it on this stream stay applied and acknowledged.
                    SyncLog.SitePushRefused(logger, site, problem);
                    throw Invalid(problem);
                }

                var appliedThrough = await upstream.ApplyUpstreamAsync(site, batch.Changes, time.GetUtcNow(), context.CancellationToken);
                SyncLog.SitePushed(logger, site, batch.Changes.Count, appliedThrough);
                RefuseAboveGap(site, batch, appliedThrough);
                await responseStream.WriteAsync(new UpstreamAck { AppliedThrough = appliedThrough }, context.CancellationToken);
            }
        }
        catch (IOException exception) when (exception is not StorageFullException)
        {
            // A cut uplink is normal weather, not a hub error: whatever was applied stays applied, and the site
            // learns where to resume from its next Hello. (A full disk is an IOException too, but the store's: StoreFaultAnswers.)
            SyncLog.SitePushCut(logger, site, exception.Message);
        }
        catch (RpcException exception) when (exception.StatusCode == StatusCode.InvalidArgument)
        {
            metrics.PushRefused();
            throw;
        }
    }

    /// <summary>
    /// FAILED_PRECONDITION when the store stopped at a gap: a change of the batch lies above what the hub holds, so
    /// the one after <paramref name="appliedThrough"/> never arrived. In normal weather a site pushes from the hub's
    /// applied_through (Hello), so this means the hub lost changes the site had been told it holds (a database restored
    /// from a backup) and the site has deleted them: acknowledging the old position would repeat forever. What the
    /// batch held before the gap stays applied; the site learns the position from Hello.
    /// </summary>
    private void RefuseAboveGap(string site, UpstreamBatch batch, ulong appliedThrough)
    {
        var pushed = batch.Changes.Where(c => c.Sequence > appliedThrough).Select(c => c.Sequence).DefaultIfEmpty().Min();
        if (pushed == 0)
        {
            if (gaps.Applied(site, appliedThrough))
                SyncLog.SiteGapClosed(logger, site, appliedThrough);
            return;
        }

        var missing = pushed - appliedThrough - 1;
        if (gaps.Refused(site, appliedThrough))
            SyncLog.SiteGap(logger, site, pushed, appliedThrough, missing);
        throw new RpcException(new Status(StatusCode.FailedPrecondition,
            $"the hub holds this site's changes through {appliedThrough} and cannot apply {pushed}: it lacks the {missing} changes between them; " +
            $"push from {appliedThrough + 1} (Hello's applied_through + 1), sending again as new changes what the site no longer holds"));
    }

    public async Task Pull(PullRequest request, IServerStreamWriter<DownstreamBatch> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var site = SiteCredential.SiteOf(context);
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
    public async Task FetchBlob(FetchBlobRequest request, IServerStreamWriter<BlobChunk> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var site = SiteCredential.SiteOf(context);
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

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
