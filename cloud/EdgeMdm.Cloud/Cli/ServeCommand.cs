using System.CommandLine;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Cli;

/// <summary><c>edgemdm-cloud serve</c>, the default command: runs the hub (<see cref="CloudHost"/>).</summary>
internal static class ServeCommand
{
    public static Command Create() => HostCommandLine.Serve(
        "run the hub (the default command)",
        [
            new Option<string>("--database") { Description = "connection string or directory (default ./data/cloud)" },
            new Option<string>("--rest-url") { Description = "REST API address (default http://127.0.0.1:9080)" },
            new Option<string>("--grpc-url") { Description = "gRPC sync address, HTTP/2 only (default http://127.0.0.1:9081; https://... serves TLS with --tls-cert)" },
            new Option<string>("--tls-cert") { Description = "certificate (PEM or PFX) every https endpoint serves (Kestrel:Certificates:Default:Path)" },
            new Option<string>("--tls-key") { Description = "its private key, PEM (Kestrel:Certificates:Default:KeyPath)" },
        ],
        async (hostArgs, cancellationToken) =>
        {
            await using var app = await CloudHost.BuildAsync(hostArgs, cancellationToken: cancellationToken);
            await app.RunAsync(cancellationToken);
            return 0;
        });
}
