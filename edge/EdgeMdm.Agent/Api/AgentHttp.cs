using System.Security.Authentication;

namespace EdgeMdm.Agent;

/// <summary>How the agent talks HTTP: one pooled handler per process, the appliance URL as base address.</summary>
public static class AgentHttp
{
    /// <summary>
    /// A handler meant to be shared by every device of a process. Pooled connections are recycled every
    /// few minutes so a changed DNS name or a replaced appliance is picked up, and closed when idle well
    /// before Kestrel's keep-alive timeout (130 s) so a request never lands on a connection the server is
    /// closing.
    /// </summary>
    /// <param name="pin">
    /// The appliance's TLS key as learned from its mDNS TXT record (<see cref="Discovery.Service.TlsPin"/>): when set, a
    /// certificate for that key and no other is accepted, whoever issued it (the site's own authority, as a rule).
    /// Null: the system's usual validation (a site certificate then fails as untrusted, and the error suggests --pin).
    /// </param>
    public static SocketsHttpHandler CreateHandler(int maxConnectionsPerServer, string? pin = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnectionsPerServer,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseCookies = false,
        };
        if (pin is { } pinned)
        {
            // Throwing, rather than answering false, puts the reason in the error a person reads: which key was served.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                Discovery.Service.TlsPin.Matches(certificate, pinned)
                    ? true
                    : throw new AuthenticationException(certificate is null
                        ? "the appliance presented no certificate"
                        : $"the appliance's certificate has key pin {Discovery.Service.TlsPin.Of(certificate)}, not the pinned {pinned.ToLowerInvariant()}");
        }

        return handler;
    }

    /// <summary>Whether <paramref name="text"/> is a pin: 64 hex digits, the SHA-256 of a SubjectPublicKeyInfo.</summary>
    public static bool IsPin(string? text) =>
        text is { Length: 64 } && text.All(Uri.IsHexDigit);

    /// <summary>A client for <paramref name="server"/>; the handler stays the caller's to dispose.</summary>
    public static HttpClient CreateClient(HttpMessageHandler handler, Uri server, TimeSpan timeout) =>
        new(handler, disposeHandler: false) { BaseAddress = WithTrailingSlash(server), Timeout = timeout };

    /// <summary>An absolute http(s) URL, or false.</summary>
    public static bool TryParseServer(string? text, out Uri server)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (string.Equals(uri.Scheme, Uri.UriSchemeHttp, StringComparison.Ordinal) || string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal)))
        {
            server = WithTrailingSlash(uri);
            return true;
        }

        server = null!;
        return false;
    }

    /// <summary>"http://host/edge" and "http://host/edge/" both mean the appliance at /edge/.</summary>
    public static Uri WithTrailingSlash(Uri server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return server.AbsolutePath.EndsWith('/') ? server : new Uri(server.GetLeftPart(UriPartial.Path) + "/" + server.Query);
    }
}
