using Microsoft.Extensions.Logging;

namespace EdgeMdm.ServiceDefaults;

/// <summary>Source-generated log messages; event ids 9000–9099 belong to the service defaults.</summary>
internal static partial class Log
{
    // No exception argument on purpose: these are the client's or the environment's faults, and the message says all
    // an operator needs; a stack trace would only make them look like our bugs.
    [LoggerMessage(EventId = 9000, Level = LogLevel.Warning, Message = "{Method} {Path} refused with {StatusCode}: {Reason}")]
    public static partial void BadRequest(ILogger logger, string method, string path, int statusCode, string reason);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning,
        Message = "Storage is full, requests are answered 503 until space is freed: {Reason} ({Suppressed} more refused since the last warning)")]
    public static partial void StorageFull(ILogger logger, string reason, long suppressed);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning,
        Message = "The database cannot serve, requests are answered 503 until it does: {Reason} ({Suppressed} more refused since the last warning)")]
    public static partial void StoreUnavailable(ILogger logger, string reason, long suppressed);
}
