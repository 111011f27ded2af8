namespace EdgeMdm.Cloud.Hosting;

/// <summary>Source-generated log messages; event ids 2000–2099 belong to hosting and sync, 2100–2199 to the REST API.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Sync call {Method} from {Peer} refused: {Reason}")]
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

    [LoggerMessage(EventId = 2100, Level = LogLevel.Warning, Message = "REST call {Method} {Path} refused: {Reason}")]
    public static partial void ApiUnauthenticated(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Sign-in of {User} in tenant {Tenant} refused")]
    public static partial void SignInRefused(ILogger logger, string tenant, string user);
}
