using Microsoft.AspNetCore.Http;

namespace EdgeMdm.ServiceDefaults.WebSignIn;

/// <summary>
/// A form posted from another origin is refused before anything runs, whatever cookies came with it: the browser
/// says where the request came from (<c>Sec-Fetch-Site</c>, <c>Origin</c>). The anti-forgery token and SameSite=Strict
/// stand behind it; a client that sends neither header (curl) is left to them.
/// </summary>
public sealed class SameOrigin : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var request = context.HttpContext.Request;
        if (!IsSameOrigin(request))
            return ProblemResults.Create(StatusCodes.Status403Forbidden, "Cross-site request refused", "this form may only be sent from this server's own pages");
        return await next(context);
    }

    public static bool IsSameOrigin(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && !string.Equals(site, "same-origin", StringComparison.Ordinal) && !string.Equals(site, "none", StringComparison.Ordinal))
            return false;
        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0 || string.Equals(origin, request.Scheme + "://" + request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }
}
