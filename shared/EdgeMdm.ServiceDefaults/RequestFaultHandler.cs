using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// Answers the faults that are not the server's bugs (a malformed or too slow or too large request body, a full disk, a
/// database that cannot serve for a while) with a clear status and a problem body, and logs each as one warning line
/// without a stack trace (the storage faults at most once per interval). Anything else is left to the exception handler
/// middleware's default: 500, logged at error level with its stack.
/// </summary>
/// <remarks>
/// Registered by <see cref="ServiceDefaultsExtensions.AddServiceDefaults{TBuilder}"/>. Since .NET 10 the exception
/// handler middleware records no diagnostics of its own for an exception an <see cref="IExceptionHandler"/> handled,
/// so these lines are the only ones. The middleware never calls a handler once the response has started: such a
/// request can only be cut off, and the middleware logs that itself.
/// </remarks>
public sealed class RequestFaultHandler : IExceptionHandler
{
    private readonly ServiceDefaultsOptions _options;
    private readonly ILogger<RequestFaultHandler> _logger;
    private readonly WarningThrottle _storageFullWarnings;
    private readonly WarningThrottle _storeUnavailableWarnings;

    public RequestFaultHandler(ServiceDefaultsOptions options, TimeProvider time, ILogger<RequestFaultHandler> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger;
        _storageFullWarnings = new WarningThrottle(time, options.StorageFullWarningInterval);
        _storeUnavailableWarnings = new WarningThrottle(time, options.StoreUnavailableWarningInterval);
    }

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        ArgumentNullException.ThrowIfNull(exception);
        if (httpContext.Response.HasStarted)
            return false;

        // Kestrel's own: a malformed chunked body (400), a body arriving below MinRequestBodyDataRate (408), a body over
        // MaxRequestBodySize (413). Its StatusCode says which, and its message is about the request, fit for the client.
        if (exception is BadHttpRequestException bad)
        {
            Log.BadRequest(_logger, httpContext.Request.Method, httpContext.Request.Path.Value ?? "/", bad.StatusCode, bad.Message);
            await Problems.WriteAsync(httpContext, bad.StatusCode, bad.Message);
            return true;
        }

        switch (StoreFaults.Of(exception))
        {
            case StorageFullException full:
                if (_storageFullWarnings.TryWarn(out var refused))
                    Log.StorageFull(_logger, full.Message, refused);
                await RetryLaterAsync(httpContext, _options.StorageFullRetryAfter, "storage is full on this server; the request was not applied, retry later", "Storage full");
                return true;

            // The reason is the store's fixed phrase, fit for any caller; the backend's own words go to the log only.
            case StoreUnavailableException unavailable:
                if (_storeUnavailableWarnings.TryWarn(out var held))
                    Log.StoreUnavailable(_logger, unavailable.Detail, held);
                await RetryLaterAsync(
                    httpContext,
                    _options.StoreUnavailableRetryAfter,
                    $"the server's database is unavailable right now ({unavailable.Message}); the request did not complete, retry later",
                    "Database unavailable");
                return true;

            default:
                return false;
        }
    }

    /// <summary>503 with <c>Retry-After</c> and a problem body: the client did nothing wrong and may succeed later, unchanged.</summary>
    private static async Task RetryLaterAsync(HttpContext httpContext, TimeSpan retryAfter, string detail, string title)
    {
        Problems.SetRetryAfter(httpContext.Response, retryAfter);
        await Problems.WriteAsync(httpContext, StatusCodes.Status503ServiceUnavailable, detail, title);
    }
}
