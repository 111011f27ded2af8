namespace EdgeMdm.Cloud.SiteUsers;

/// <summary>Source-generated log messages of site users; event ids 2145–2149 (see <c>Hosting/Log</c>). Never a password.</summary>
internal static partial class SiteUserLog
{
    [LoggerMessage(EventId = 2145, Level = LogLevel.Information, Message = "Site user {UserName} added to site {SiteId} as {Role} by {User}")]
    public static partial void SiteUserAdded(ILogger logger, string userName, string siteId, string role, string user);

    [LoggerMessage(EventId = 2146, Level = LogLevel.Information, Message = "Site user {UserName} of site {SiteId} changed: role {Role}, password replaced, by {User}")]
    public static partial void SiteUserChanged(ILogger logger, string userName, string siteId, string role, string user);

    [LoggerMessage(EventId = 2147, Level = LogLevel.Information, Message = "Site user {UserName} removed from site {SiteId} by {User}")]
    public static partial void SiteUserRemoved(ILogger logger, string userName, string siteId, string user);
}
