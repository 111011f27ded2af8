namespace EdgeMdm.Cloud.Rollouts;

/// <summary>
/// Source-generated log messages of rollouts; event ids 2200–2209. What a person watching the hub wants to see
/// happen: a rollout started, a wave opened (and how many devices it takes), a wave advanced and why, a halt, a finish.
/// </summary>
internal static partial class RolloutLog
{
    [LoggerMessage(EventId = 2200, Level = LogLevel.Information,
        Message = "Rollout {Rollout} started ({Tenant}): group {Group}, {Package} {From} → {To}; waves {Waves}, advance at {Threshold} settled or after {TimeLimit} a wave, stragglers after {StragglerAfter} silent")]
    public static partial void Started(
        ILogger logger, string rollout, string tenant, string group, string package, string from, string to, string waves, string threshold, string timeLimit, string stragglerAfter);

    [LoggerMessage(EventId = 2201, Level = LogLevel.Information,
        Message = "Rollout {Rollout} ({Package} → {To}, group {Group}) at site {Site}: wave {Wave} of {Waves} ({Label}) open, {Devices} devices")]
    public static partial void WaveOpened(ILogger logger, string rollout, string package, string to, string group, string site, int wave, int waves, string label, int devices);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Information,
        Message = "Rollout {Rollout} ({Package} → {To}, group {Group}) at site {Site}: wave {Wave} ({Label}) advanced by {Reason}: {Settled} of {Devices} devices settled, {Stragglers} stragglers")]
    public static partial void WaveAdvanced(
        ILogger logger, string rollout, string package, string to, string group, string site, int wave, string label, string reason, int settled, int devices, int stragglers);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Information,
        Message = "Rollout {Rollout} ({Package} → {To}, group {Group}) finished at site {Site}: {Installed} of {Devices} devices installed, {Stragglers} stragglers still chased")]
    public static partial void SiteFinished(ILogger logger, string rollout, string package, string to, string group, string site, int installed, int devices, int stragglers);

    [LoggerMessage(EventId = 2204, Level = LogLevel.Information,
        Message = "Rollout {Rollout} ({Package} → {To}, group {Group}) finished at every site: {Installed} of {Devices} devices installed")]
    public static partial void Finished(ILogger logger, string rollout, string package, string to, string group, int installed, int devices);

    [LoggerMessage(EventId = 2205, Level = LogLevel.Warning,
        Message = "Rollout {Rollout} ({Package} → {To}, group {Group}) halted at site {Site}: {Reason}")]
    public static partial void Halted(ILogger logger, string rollout, string package, string to, string group, string site, string reason);

    [LoggerMessage(EventId = 2206, Level = LogLevel.Warning, Message = "Rollout progress not watched this round")]
    public static partial void WatchFailed(ILogger logger, Exception exception);
}
