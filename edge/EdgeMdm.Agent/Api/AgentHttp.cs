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
    /// <param name="pinnedCertificateSha256">
    /// The appliance's TLS certificate as learned from its mDNS TXT record (hex SHA-256): when set, that certificate
    /// and no other is accepted, self-signed or not, as the site appliance's certificate usually is. Null: the system's
    /// usual validation.
    /// </param>
    public static SocketsHttpHandler CreateHandler(int maxConnectionsPerServer, string? pinnedCertificateSha256 = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnectionsPerServer,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseCookies = false,
        };
        if (pinnedCertificateSha256 is { } pinned)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null
                && string.Equals(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate.GetRawCertData())), pinned, StringComparison.OrdinalIgnoreCase);
        }

        return handler;
    }

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
