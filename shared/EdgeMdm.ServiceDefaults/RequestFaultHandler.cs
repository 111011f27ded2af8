using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// Answers the faults that are not the server's bugs (a malformed or too slow or too large request body, a full disk)
/// with a clear status and a problem body, and logs each as one warning line without a stack trace. Anything else is
/// left to the exception handler middleware's default: 500, logged at error level with its stack.
/// </summary>
/// <remarks>
/// Registered by <see cref="ServiceDefaultsExtensions.AddServiceDefaults{TBuilder}"/>. Since .NET 10 the exception
/// handler middleware records no diagnostics of its own for an exception an <see cref="IExceptionHandler"/> handled,
/// so these lines are the only ones. The middleware never calls a handler once the response has started: such a
/// request can only be cut off, and the middleware logs that itself.
/// </remarks>
public sealed class RequestFaultHandler(ServiceDefaultsOptions options, TimeProvider time, ILogger<RequestFaultHandler> logger) : IExceptionHandler
{
    private readonly Lock _storageWarningGate = new();
    private long? _lastStorageWarning;
    private long _storageWarningsSuppressed;

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
            Log.BadRequest(logger, httpContext.Request.Method, httpContext.Request.Path.Value ?? "/", bad.StatusCode, bad.Message);
            await Problems.WriteAsync(httpContext, bad.StatusCode, bad.Message);
            return true;
        }

        if (Find<StorageFullException>(exception) is { } full)
        {
            WarnStorageFull(full);
            Problems.SetRetryAfter(httpContext.Response, options.StorageFullRetryAfter);
            await Problems.WriteAsync(
                httpContext,
                StatusCodes.Status503ServiceUnavailable,
                "storage is full on this server; the request was not applied, retry later",
                "Storage full");
            return true;
        }

        return false;
    }

    private void WarnStorageFull(StorageFullException full)
    {
        long suppressed;
        lock (_storageWarningGate)
        {
            var now = time.GetTimestamp();
            if (_lastStorageWarning is { } last && time.GetElapsedTime(last, now) < options.StorageFullWarningInterval)
            {
                _storageWarningsSuppressed++;
                return;
            }

            _lastStorageWarning = now;
            suppressed = _storageWarningsSuppressed;
            _storageWarningsSuppressed = 0;
        }

        Log.StorageFull(logger, full.Message, suppressed);
    }

    // A store may wrap the disk-full error in its own (a failed unit of work, an aggregate from a batch).
    private static T? Find<T>(Exception exception)
        where T : Exception
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is T found)
                return found;
        }

        return null;
    }
}
