using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// Every error this library answers goes through the host's <see cref="IProblemDetailsService"/>, so it has the same
/// RFC 9457 shape (and the same customisation) as the problems the host's own endpoints return.
/// </summary>
internal static class Problems
{
    public static ValueTask<bool> WriteAsync(HttpContext http, int status, string detail, string? title = null)
    {
        http.Response.StatusCode = status;
        return http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            // Title left null takes the status code's reason phrase (ProblemDetailsDefaults).
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>Sets <c>Retry-After</c> in whole seconds, rounded up and at least one (a client told "0" would retry at once).</summary>
    /// <returns>The seconds, as written.</returns>
    public static string SetRetryAfter(HttpResponse response, TimeSpan wait)
    {
        var seconds = Math.Max(1L, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        response.Headers.RetryAfter = seconds;
        return seconds;
    }
}
