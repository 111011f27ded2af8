using EdgeMdm.Contracts.Sync;
using EdgeMdm.Edge.Storage;
using Grpc.Core;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Sync;

/// <summary>
/// Exchanges deltas with the cloud hub whenever the uplink allows (ADR 0001). Each round: Hello (where the
/// hub stands, so a lost acknowledgement or a wiped local cursor costs nothing), pull the site's feed and
/// apply it, then push the outbox until it is drained, deleting rows only once the hub acknowledged them.
/// Any failure ends the round; the next one starts after a backoff with jitter, which grows only while tries move
/// nothing: a round cut after it moved changes (a balancer draining a replica, a flapping link) is tried again at
/// once. A refusal that says when to come back (a <see cref="RetryHint"/>: RESOURCE_EXHAUSTED from the hub's rate limit
/// or full disk, UNAVAILABLE from its database unable to serve) is waited out as the hub asks, and is no uplink failure:
/// the hub answered. Devices never wait on this: they are answered from local state, uplink or not.
/// </summary>
public sealed partial class SyncWorker(
    IOptions<SyncOptions> options,
    IOutboxStore outbox,
    IFeedStore feed,
    IUplinkStore uplinkStore,
    UplinkMonitor uplink,
    HubTrust trust,
    TimeProvider clock,
    ILogger<SyncWorker> logger) : BackgroundService
{
    /// <summary>At most this many changes per upstream batch (the hub refuses more than 500).</summary>
    public const int BatchSize = 200;

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    // A catch-up after weeks offline streams for minutes; a dead or stalled connection is caught sooner by
    // HTTP/2 keep-alive pings (see HubChannel.Create).
    private static readonly TimeSpan StreamTimeout = TimeSpan.FromMinutes(15);

    // Whether the current try applied a feed batch or had a push acknowledged.
    private bool _movedChanges;

    // Whether the hub has refused this site with a wait (RetryHint) since its last round that went through: the wait it
    // asks for is logged once per such episode, not every try.
    private bool _limited;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.HubUrl is null)
            return;
        // Let the host finish starting: the appliance serves devices before it ever talks to the hub.
        await Task.Yield();

        // A failed round is tried again after a backoff with jitter, so that the sites of a region whose WAN came back
        // do not all reconnect to the hub in the same second; a healed uplink is used within SyncRetryMaxSeconds.
        var retry = Retries.UntilCancelled(
            TimeSpan.FromSeconds(1),
            TimeSpan.FromSeconds(settings.SyncRetryMaxSeconds),
            clock,
            // A try that moved changes proved the uplink works: its failure ends the backoff instead of growing it. A
            // refusal with a wait (rate limit, the hub's database) is no uplink failure either: it leaves the pipeline,
            // for the wait the hub asks for.
            exception => !_movedChanges && RetryHintOf(exception) is null && HubChannel.IsUplinkFailure(exception, stoppingToken),
            async failure =>
            {
                var why = trust.Describe(failure.Exception);
                await RecordAsync(uplink.Failed(why));
                Log.RoundFailed(logger, uplink.State, failure.Delay.TotalSeconds, why);
            });
        using var channel = HubChannel.Create(settings.HubUrl, trust);
        var client = new SiteSync.SiteSyncClient(channel);
        var headers = HubChannel.Headers(settings.Credential);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await retry.ExecuteAsync(async token => await RoundAsync(client, headers, token), stoppingToken);
                _limited = false;
                await RecordAsync(uplink.Succeeded());
                await Task.Delay(TimeSpan.FromSeconds(settings.SyncIntervalSeconds), clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (RpcException exception) when (RetryHintOf(exception) is { } wait)
            {
                await WaitOutRefusalAsync(wait, exception.Status.Detail, stoppingToken);
            }
            catch (Exception exception) when (_movedChanges && HubChannel.IsUplinkFailure(exception, stoppingToken))
            {
                var why = trust.Describe(exception);
                await RecordAsync(uplink.Failed(why));
                Log.RoundCut(logger, uplink.State, why);
            }
        }
    }

    private async Task RoundAsync(SiteSync.SiteSyncClient client, Metadata headers, CancellationToken cancellationToken)
    {
        _movedChanges = false;
        var before = outbox.State();
        var hello = await client.HelloAsync(HelloFor(before, uplink.State, uplink.LastSuccessAt), headers, Deadline(), cancellationToken);
        var acknowledged = outbox.State().AckedThrough;
        var held = outbox.HeldThrough();
        if (hello.AppliedThrough < acknowledged)
        {
            // The hub once acknowledged more than it holds now: its database went back (a restored backup). The rows it
            // lost are gone here, so the site sends what its records are now; site-owned records are the truth.
            Log.HubLostChanges(logger, hello.AppliedThrough, acknowledged, acknowledged - hello.AppliedThrough);
            await outbox.ResendSnapshotAsync(hello.AppliedThrough, clock.GetUtcNow());
        }
        else if (hello.AppliedThrough > held)
        {
            // This site's database went back (restored from a backup onto a replacement box): the box it replaced numbered
            // and sent changes after the backup. Numbered from where this log stood, new changes would reuse those numbers
            // and the hub would skip them as duplicates; and the hub holds newer copies of records the site has older ones of.
            Log.SiteRestored(logger, hello.AppliedThrough, held);
            await outbox.ResendSnapshotAfterRestoreAsync(hello.AppliedThrough, held, clock.GetUtcNow());
        }
        else
        {
            await outbox.ResetOfferedAsync(hello.AppliedThrough);
        }

        await RecordAsync(uplink.Succeeded());

        FeedRefusedException? refused = null;
        try
        {
            if (hello.FeedHead > feed.FeedPosition)
                await PullAsync(client, headers, cancellationToken);
        }
        catch (FeedRefusedException exception)
        {
            // The feed waits at the change that did not verify; what the site owns still goes up.
            Log.FeedRefused(logger, exception.Position, exception.Reason);
            refused = exception;
        }

        await PushAsync(client, headers, cancellationToken);
        if (refused is not null)
            throw refused;
    }

    /// <summary>
    /// The Hello of a round: the appliance's version and its own view of its sync, so central IT sees each
    /// site's backlog and lag (<c>edgemdm sites list</c>). <paramref name="state"/> is the outbox before this
    /// round's push; <paramref name="lastSuccessAt"/> the last exchange that succeeded before this one.
    /// </summary>
    internal static HelloRequest HelloFor(OutboxState state, UplinkState uplinkState, DateTimeOffset? lastSuccessAt)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new HelloRequest
        {
            ApplianceVersion = AppVersion,
            OutboxDepth = (ulong)Math.Max(0, state.Depth),
            OldestPendingUnixMs = state.Depth > 0 && state.OldestPendingAt is { } oldest ? oldest.ToUnixTimeMilliseconds() : 0,
            UplinkState = uplinkState.ToString(),
            LastSyncUnixMs = lastSuccessAt?.ToUnixTimeMilliseconds() ?? 0,
            // Sequences are assigned on append only, so the unacknowledged rows are exactly AckedThrough+1..head.
            OutboxHead = state.AckedThrough + (ulong)Math.Max(0, state.Depth),
        };
    }

    private async Task PullAsync(SiteSync.SiteSyncClient client, Metadata headers, CancellationToken cancellationToken)
    {
        using var call = client.Pull(new PullRequest { AfterPosition = feed.FeedPosition, MaxChanges = BatchSize }, headers, Deadline(StreamTimeout), cancellationToken);
        await foreach (var batch in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            await feed.ApplyDownstreamAsync(batch);
            _movedChanges = true;
        }
    }

    /// <summary>
    /// One batch in flight at a time; the outbox row is deleted only after the hub's acknowledgement. Paced
    /// to <see cref="SyncOptions.SyncMaxChangesPerSecond"/>.
    /// </summary>
    private async Task PushAsync(SiteSync.SiteSyncClient client, Metadata headers, CancellationToken cancellationToken)
    {
        var changes = await outbox.TakeBatchAsync(BatchSize);
        if (changes.Count == 0)
            return;
        // The allowance accrues from the start of the push: a catch-up never opens with a burst that the floor pays for.
        var pace = new Pace(options.Value.SyncMaxChangesPerSecond, clock, startFull: false);
        using var call = client.Push(headers, Deadline(StreamTimeout), cancellationToken);
        while (changes.Count > 0)
        {
            var batch = new UpstreamBatch();
            batch.Changes.AddRange(changes);
            await call.RequestStream.WriteAsync(batch, cancellationToken);
            if (!await call.ResponseStream.MoveNext(cancellationToken))
                throw new RpcException(new Status(StatusCode.Unavailable, "the hub closed the push stream before acknowledging"));
            await outbox.AcknowledgeAsync(call.ResponseStream.Current.AppliedThrough);
            _movedChanges = true;
            await pace.WaitAfterAsync(changes.Count, cancellationToken);
            changes = await outbox.TakeBatchAsync(BatchSize);
        }

        // Close our side and let the hub close its own: disposing a call with the stream still open resets it.
        await call.RequestStream.CompleteAsync();
        while (await call.ResponseStream.MoveNext(cancellationToken))
        {
            await outbox.AcknowledgeAsync(call.ResponseStream.Current.AppliedThrough);
            _movedChanges = true;
        }
    }

    private static TimeSpan? RetryHintOf(Exception exception) => exception is RpcException rpc ? RetryHint.From(rpc) : null;

    /// <summary>
    /// The hub answered, so the uplink works and its state stays as it is; the site waits what the hub asks before the
    /// next round, which then starts with a fresh backoff. The hub's hint is capped (<see cref="RetryHint.Longest"/>).
    /// </summary>
    private async Task WaitOutRefusalAsync(TimeSpan wait, string reason, CancellationToken stoppingToken)
    {
        if (!_limited)
            Log.AskedToWait(logger, reason, wait.TotalSeconds);
        _limited = true;
        try
        {
            await Task.Delay(wait, clock, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the loop ends at its condition.
        }
    }

    private async Task RecordAsync(bool stateChanged)
    {
        if (stateChanged)
            Log.UplinkChanged(logger, uplink.State, uplink.LastError);
        await uplinkStore.RecordUplinkAsync(uplink.State.ToString(), uplink.LastSuccessAt);
    }

    private DateTime Deadline() => Deadline(CallTimeout);

    private DateTime Deadline(TimeSpan timeout) => (clock.GetUtcNow() + timeout).UtcDateTime;

    private static readonly string AppVersion = typeof(SyncWorker).Assembly.GetName().Version?.ToString() ?? "0";

    private static partial class Log
    {
        [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Uplink {State}{Error}")]
        public static partial void UplinkChangedCore(ILogger logger, UplinkState state, string error);

        public static void UplinkChanged(ILogger logger, UplinkState state, string? error) =>
            UplinkChangedCore(logger, state, error is null ? "" : ": " + error);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "The hub holds this site's changes through {HubThrough} but had acknowledged {Acknowledged}: it lost {Lost} (restored from an older backup?). Sending it a snapshot of every record the site owns")]
        public static partial void HubLostChanges(ILogger logger, ulong hubThrough, ulong acknowledged, ulong lost);

        [LoggerMessage(EventId = 1800, Level = LogLevel.Warning, Message = "The hub holds this site's changes through {HubThrough} but this appliance's log stood at {HeldThrough}: it was restored from a backup, and the appliance it replaced sent changes after that. Numbering on from {HubThrough} and sending a snapshot of every record the site owns")]
        public static partial void SiteRestored(ILogger logger, ulong hubThrough, ulong heldThrough);

        [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Sync round cut after it moved changes ({State}); trying again now: {Error}")]
        public static partial void RoundCut(ILogger logger, UplinkState state, string error);

        [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Refused the hub's feed change {Position}: {Reason}. The feed waits there; nothing after it is applied until the hub sends a change that verifies")]
        public static partial void FeedRefused(ILogger logger, ulong position, string reason);

        [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "The hub refused this site's sync for now ({Reason}); waiting the {Seconds:0.0} s it asks before each next try (logged once until a round goes through)")]
        public static partial void AskedToWait(ILogger logger, string reason, double seconds);

        [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Sync round failed ({State}); next try in {Seconds:0.0} s: {Error}")]
        public static partial void RoundFailed(ILogger logger, UplinkState state, double seconds, string error);
    }
}
