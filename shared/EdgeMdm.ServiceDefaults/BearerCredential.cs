using Microsoft.AspNetCore.Http;

namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// The credential of an <c>Authorization: Bearer &lt;credential&gt;</c> header (RFC 6750 §2.1), read the same way by
/// every scheme of both servers: device secrets, API tokens, site credentials.
/// </summary>
public static class BearerCredential
{
    /// <summary>Far longer than any credential the servers issue: a longer one is not looked up at all.</summary>
    public const int MaxLength = 256;

    /// <returns>
    /// The credential, or null when the request has no <c>Authorization</c> header, another scheme, an empty credential
    /// or one longer than <see cref="MaxLength"/>.
    /// </returns>
    public static string? From(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        const string Prefix = "Bearer ";
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            return null;
        var credential = authorization[Prefix.Length..].Trim();
        return credential.Length is 0 or > MaxLength ? null : credential;
    }
}
