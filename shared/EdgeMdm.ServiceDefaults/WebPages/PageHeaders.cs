using Microsoft.AspNetCore.Http;

namespace EdgeMdm.ServiceDefaults.WebPages;

/// <summary>
/// What every page of people's web answers carries: a content security policy that allows only the appliance's own
/// scripts and styles (no inline script, no other origin, no framing), no MIME sniffing, no referrer to elsewhere,
/// and no caching of pages that show a signed-in person's data.
/// </summary>
public sealed class PageHeaders : IEndpointFilter
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        Apply(context.HttpContext.Response);
        return next(context);
    }

    public static void Apply(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers.XFrameOptions = "DENY";
        headers.CacheControl = "no-store";
    }
}
