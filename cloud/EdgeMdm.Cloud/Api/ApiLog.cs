namespace EdgeMdm.Cloud.Api;

/// <summary>Source-generated log messages of the REST API's authentication; event ids 2100–2199 (see <c>Hosting/Log</c>).</summary>
internal static partial class ApiLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Warning, Message = "REST call {Method} {Path} refused: {Reason}")]
    public static partial void ApiUnauthenticated(ILogger logger, string method, string path, string reason);
}
