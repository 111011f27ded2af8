using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace EdgeMdm.Drills.Power;

/// <summary>
/// A real hub (<c>edgemdm-cloud serve</c> on SQLite in <see cref="Directory"/>) with one site, a blueprint for group
/// <c>pickers</c> and an enrollment token, all made through its REST API; disposing kills it.
/// </summary>
internal sealed class DrillHub : IAsyncDisposable
{
    private readonly ServerProcess _server;
    private readonly HttpClient _rest;

    private DrillHub(ServerProcess server, HttpClient rest, string directory, Uri grpcUrl)
    {
        _server = server;
        _rest = rest;
        Directory = directory;
        GrpcUrl = grpcUrl;
    }

    public string Directory { get; }

    public Uri GrpcUrl { get; }

    public string SiteId { get; private set; } = "";

    public string Credential { get; private set; } = "";

    public string Token { get; private set; } = "";

    public string Database => Path.Combine(Directory, "cloud.db");

    public string Log => _server.Output;

    public static async Task<DrillHub> StartAsync(string repository, string directory, int devices, CancellationToken cancellationToken)
    {
        var cloud = DrillProcesses.CloudDll(repository);
        var restUrl = ServerProcess.FreeLoopbackUrl();
        var grpcUrl = ServerProcess.FreeLoopbackUrl();
        var server = await ServerProcess.StartAsync(
            cloud, ["serve", "--database", directory, "--rest-url", restUrl.ToString().TrimEnd('/'), "--grpc-url", grpcUrl.ToString().TrimEnd('/')],
            restUrl, environment: null, cancellationToken);
        var rest = new HttpClient { BaseAddress = restUrl };
        var hub = new DrillHub(server, rest, directory, grpcUrl);
        try
        {
            var admin = await DrillProcesses.RunAsync(cloud, ["admin-token", "create", "--name", "drill", "--database", directory], TimeSpan.FromSeconds(60));
            if (admin.ExitCode != 0)
                throw new InvalidOperationException("admin-token create: " + admin.Stderr.Trim());
            rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin.Stdout.Trim());
            var site = await hub.SendAsync(HttpMethod.Post, "/api/v1/sites", new JsonObject { ["name"] = "DC Power Drill" }, cancellationToken);
            hub.SiteId = site["siteId"]!.GetValue<string>();
            hub.Credential = site["credential"]!.GetValue<string>();
            await hub.SendAsync(HttpMethod.Put, "/api/v1/blueprints/pickers", Blueprint(), cancellationToken);
            var token = await hub.SendAsync(
                HttpMethod.Post, $"/api/v1/sites/{hub.SiteId}/tokens", new JsonObject { ["group"] = "pickers", ["uses"] = devices, ["expiresInSeconds"] = 36_000 }, cancellationToken);
            hub.Token = token["token"]!.GetValue<string>();
            return hub;
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }
    }

    /// <summary>The highest outbox sequence of the site the hub applied with none missing below it.</summary>
    public async Task<ulong> AppliedThroughAsync(CancellationToken cancellationToken)
    {
        var sites = JsonNode.Parse(await _rest.GetStringAsync(new Uri("/api/v1/sites", UriKind.Relative), cancellationToken))!.AsArray();
        return sites.Single(s => string.Equals(s!["siteId"]!.GetValue<string>(), SiteId, StringComparison.Ordinal))!["appliedThrough"]!.GetValue<ulong>();
    }

    private static JsonObject Blueprint() => new()
    {
        ["group"] = "pickers",
        ["apps"] = new JsonArray(new JsonObject { ["packageName"] = "com.edgemdm.sample.scanner", ["versionCode"] = 100, ["versionName"] = "1.0.100" }),
        ["os"] = new JsonObject { ["minVersion"] = "13" },
        ["configurations"] = new JsonArray(),
        ["certificates"] = new JsonArray(),
        ["batteryHealthFloorPercent"] = 75,
    };

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonObject body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body) };
        using var response = await _rest.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"hub {method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    public async ValueTask DisposeAsync()
    {
        _rest.Dispose();
        await _server.DisposeAsync();
    }
}
