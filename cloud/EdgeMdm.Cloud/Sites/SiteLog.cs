namespace EdgeMdm.Cloud.Sites;

/// <summary>Source-generated log messages of sites; event ids 2030–2039 (hosting and sync's range, see <c>Hosting/Log</c>).</summary>
internal static partial class SiteLog
{
    [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "Fed the name of {Sites} sites registered before the hub fed names; their appliances learn it at their next pull")]
    public static partial void NamesFed(ILogger logger, int sites);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Information, Message = "Site {Site} renamed to '{Name}'; its appliance learns it at its next pull")]
    public static partial void Renamed(ILogger logger, string site, string name);
}
