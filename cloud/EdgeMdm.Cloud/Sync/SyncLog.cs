namespace EdgeMdm.Cloud.Sync;

/// <summary>Source-generated log messages of the sync service; event ids 2010–2099 (see <c>Hosting/Log</c>).</summary>
internal static partial class SyncLog
{
    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Sync call {Method} from {Peer} refused as unauthenticated: {Reason}")]
    public static partial void SiteUnauthenticated(ILogger logger, string method, string peer, string reason);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Site {Site}'s credential asked for site {Claimed}: refused")]
    public static partial void SiteForbidden(ILogger logger, string site, string claimed);

    // Debug: a site says hello every sync round (seconds apart); the site list shows the last sync instead.
    [LoggerMessage(EventId = 2020, Level = LogLevel.Debug, Message = "Site {Site} said hello (appliance {Version}): applied through {AppliedThrough}, feed head {FeedHead}")]
    public static partial void SiteHello(ILogger logger, string site, string version, ulong appliedThrough, ulong feedHead);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Debug, Message = "Site {Site} pushed {Changes} changes: applied through {AppliedThrough}")]
    public static partial void SitePushed(ILogger logger, string site, int changes, ulong appliedThrough);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Debug, Message = "Site {Site} pulled after {After}: {Changes} changes, through {Through}")]
    public static partial void SitePulled(ILogger logger, string site, ulong after, int changes, ulong through);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Information, Message = "Site {Site}'s push stream broke ({Reason}); it resumes from its last acknowledgement")]
    public static partial void SitePushCut(ILogger logger, string site, string reason);

    [LoggerMessage(EventId = 2024, Level = LogLevel.Debug, Message = "Site {Site} fetched blob {Sha256} from byte {Offset}: {Bytes} bytes")]
    public static partial void SiteFetchedBlob(ILogger logger, string site, string sha256, ulong offset, long bytes);

    [LoggerMessage(EventId = 2025, Level = LogLevel.Error, Message = "Blob {Sha256} is in the catalog but missing from the blob directory {Directory}")]
    public static partial void BlobMissing(ILogger logger, string sha256, string directory);

    // No exception argument: the bytes are the caller's fault, and the parser's message says what is wrong with them.
    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning, Message = "Sync call {Method} from {Caller} refused: its message is not a valid {MessageType} ({Reason})")]
    public static partial void MalformedMessage(ILogger logger, string method, string caller, string messageType, string reason);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Warning, Message = "Site {Site}'s push refused, nothing of the batch applied: {Problem}")]
    public static partial void SitePushRefused(ILogger logger, string site, string problem);

    // Once per site and episode (UpstreamGaps): the site retries every round, and the line would drown everything else.
    [LoggerMessage(EventId = 2014, Level = LogLevel.Warning,
        Message = "Site {Site} pushed {Pushed} but the hub holds through {AppliedThrough}: the hub lacks {Missing} changes; the site must resend from its own records")]
    public static partial void SiteGap(ILogger logger, string site, ulong pushed, ulong appliedThrough, ulong missing);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Information, Message = "Site {Site}'s log continues past the gap: the hub holds through {AppliedThrough}")]
    public static partial void SiteGapClosed(ILogger logger, string site, ulong appliedThrough);

    // At most once a minute per limit (SyncLimitRefusals): the count says how many refusals went unlogged before it.
    [LoggerMessage(EventId = 2040, Level = LogLevel.Warning,
        Message = "Sync call from {Caller} refused by the per-{Limit} rate limit, told to retry after {Seconds} s ({Unlogged} more refusals of this limit since the last such line)")]
    public static partial void CallLimited(ILogger logger, string caller, string limit, string seconds, long unlogged);

    // At most once per interval (StoreFaultAnswers), no stack: the database's trouble, not a bug of the hub's.
    [LoggerMessage(EventId = 2041, Level = LogLevel.Warning,
        Message = "Sync call from {Caller} answered {Status}, to be retried later: {Reason} ({Unlogged} more such answers since the last such line)")]
    public static partial void StoreFault(ILogger logger, string caller, string status, string reason, long unlogged);
}
