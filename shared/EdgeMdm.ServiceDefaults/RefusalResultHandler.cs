using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// Lets the refusing fallback policy refuse even in a host that has registered no authentication scheme yet: the
/// framework's handler would challenge "the default scheme" and, finding none, throw (a 500 instead of a 401). With a
/// scheme to challenge or forbid through, the framework's handler does it (and writes that scheme's headers).
/// </summary>
/// <remarks>
/// A request that matched no endpoint is answered 404: the fallback policy still keeps anything after the
/// authorization middleware from serving it, and the caller learns the path is wrong rather than its credential.
/// The empty 401/403/404 gets its problem body from the status code pages middleware.
/// </remarks>
internal sealed class RefusalResultHandler(IAuthenticationSchemeProvider schemes) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _framework = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(authorizeResult);
        // Every request that may pass comes this way: no state machine for it.
        return authorizeResult.Succeeded ? _framework.HandleAsync(next, context, policy, authorizeResult) : RefuseAsync(next, context, policy, authorizeResult);
    }

    private async Task RefuseAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (context.GetEndpoint() is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (policy.AuthenticationSchemes.Count == 0)
        {
            var scheme = authorizeResult.Forbidden ? await schemes.GetDefaultForbidSchemeAsync() : await schemes.GetDefaultChallengeSchemeAsync();
            if (scheme is null)
            {
                context.Response.StatusCode = authorizeResult.Forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
                return;
            }
        }

        await _framework.HandleAsync(next, context, policy, authorizeResult);
    }
}
