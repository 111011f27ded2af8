using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeMdm.Edge.Sync;

/// <summary>How the appliance reaches the hub's gRPC service: shared by the sync worker and the package fetcher.</summary>
public static class HubChannel
{
    // Asks the hub to accept gzip-compressed requests; answers come compressed as the hub chooses.
    private static readonly Metadata.Entry CompressRequests = new("grpc-internal-encoding-request", "gzip");

    /// <param name="trust">Which certificate an https hub may present (used only with https; http is cleartext HTTP/2).</param>
    public static GrpcChannel Create(string hubUrl, HubTrust trust)
    {
        ArgumentNullException.ThrowIfNull(trust);
        return GrpcChannel.ForAddress(hubUrl, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                // A cut that leaves no RST behind (a stalled proxy, a dropped LTE link) is noticed within ~20 s.
                KeepAlivePingDelay = TimeSpan.FromSeconds(10),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                SslOptions = new System.Net.Security.SslClientAuthenticationOptions { RemoteCertificateValidationCallback = trust.Validate },
            },
            MaxReceiveMessageSize = 8 * 1024 * 1024,
        });
    }

    /// <summary>The site credential every call carries (the hub derives the site from it).</summary>
    public static Metadata Headers(string? siteCredential) =>
        new() { { "authorization", "Bearer " + siteCredential }, CompressRequests };

    /// <summary>
    /// What a cut, a stalled or a refusing hub looks like, or a hub whose feed this appliance refused (a change that does
    /// not verify: retried with backoff like an outage, its reason shown as the uplink's); anything else is a bug.
    /// </summary>
    public static bool IsUplinkFailure(Exception exception, CancellationToken stoppingToken) =>
        !stoppingToken.IsCancellationRequested
        && exception is RpcException or HttpRequestException or IOException or OperationCanceledException or FeedRefusedException;
}
