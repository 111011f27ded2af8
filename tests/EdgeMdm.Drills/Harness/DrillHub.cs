using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace EdgeMdm.Drills.Harness;

/// <summary>
/// The hub as a process of its own (<c>edgemdm-cloud serve</c>, REST and gRPC on loopback ports it keeps across
/// restarts) on a drill's <see cref="IHubDatabase"/>, with a signed-in REST client. Disposing it kills the process; the
/// database is its owner's.
/// </summary>
internal sealed class DrillHub : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private DrillHub(ServerProcess server, IHubDatabase store, Uri restUrl, Uri grpcUrl, string adminToken)
    {
        _server = server;
        Store = store;
        RestUrl = restUrl;
        GrpcUrl = grpcUrl;
        Rest = new HttpClient { BaseAddress = restUrl, Timeout = TimeSpan.FromSeconds(30) };
        Rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
    }

    public IHubDatabase Store { get; }

    public Uri RestUrl { get; }

    public Uri GrpcUrl { get; }

    public HttpClient Rest { get; }

    public string Log => _server.Output;

    /// <param name="restUrl">and <paramref name="grpcUrl"/>: given to restart a hub where the appliance dials it.</param>
    public static async Task<DrillHub> StartAsync(IHubDatabase store, CancellationToken cancellationToken, Uri? restUrl = null, Uri? grpcUrl = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        restUrl ??= ServerProcess.FreeLoopbackUrl();
        grpcUrl ??= ServerProcess.FreeLoopbackUrl();
        var server = await ServerProcess.StartAsync(
            Built.CloudDll,
            ["serve", "--database", store.Database, "--rest-url", restUrl.ToString().TrimEnd('/'), "--grpc-url", grpcUrl.ToString().TrimEnd('/'), .. store.ServeArguments],
            restUrl, environment: null, cancellationToken);
        try
        {
            var token = await Built.RunAsync(Built.CloudDll, ["admin-token", "create", "--name", "drill", "--database", store.Database], TimeSpan.FromSeconds(60));
            if (token.ExitCode != 0)
                throw new InvalidOperationException("admin-token create: " + token.Describe());
            return new DrillHub(server, store, restUrl, grpcUrl, token.Stdout.Trim());
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The same hub started again on its database and ports (after a stop, or a restore under it).</summary>
    public Task<DrillHub> StartAgainAsync(CancellationToken cancellationToken) => StartAsync(Store, cancellationToken, RestUrl, GrpcUrl);

    /// <summary>A site whose pickers run the scanner at version 100, and a token 5,000 devices may enroll with for a week.</summary>
    public async Task<DrillSiteAccount> AddSiteWithFleetTokenAsync(string name)
    {
        var site = await SendAsync(HttpMethod.Post, "/api/v1/sites", new JsonObject { ["name"] = name });
        var blueprint = new JsonObject
        {
            ["group"] = "pickers",
            ["apps"] = new JsonArray(new JsonObject { ["packageName"] = "com.edgemdm.sample.scanner", ["versionCode"] = 100, ["versionName"] = "1.0.100" }),
            ["os"] = new JsonObject { ["minVersion"] = "13" },
            ["configurations"] = new JsonArray(),
            ["certificates"] = new JsonArray(),
            ["batteryHealthFloorPercent"] = 75,
        };
        await SendAsync(HttpMethod.Put, "/api/v1/blueprints/pickers", blueprint);
        var siteId = site["siteId"]!.GetValue<string>();
        // A week, not an hour: the clock-jump drill moves the appliance a day ahead, and the token must outlive that.
        var token = await SendAsync(HttpMethod.Post, $"/api/v1/sites/{siteId}/tokens", new JsonObject { ["group"] = "pickers", ["uses"] = 5000, ["expiresInSeconds"] = 7 * 86400 });
        return new DrillSiteAccount(siteId, site["credential"]!.GetValue<string>(), token["token"]!.GetValue<string>());
    }

    /// <summary>The highest sequence of the site's log the hub applied with none missing below it (its REST view).</summary>
    public async Task<ulong> AppliedThroughAsync(string siteId, CancellationToken cancellationToken = default)
    {
        var sites = JsonNode.Parse(await Rest.GetStringAsync(new Uri("/api/v1/sites", UriKind.Relative), cancellationToken))!.AsArray();
        return sites.Single(s => string.Equals(s!["siteId"]!.GetValue<string>(), siteId, StringComparison.Ordinal))!["appliedThrough"]!.GetValue<ulong>();
    }

    /// <summary>SIGTERM: the hub stops cleanly (its SQLite WAL checkpointed), as before a restore of its database.</summary>
    public Task StopAsync() => _server.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Rest.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonObject body)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body) };
        using var response = await Rest.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"hub {method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }
}

/// <summary>A site at the hub: its id, the credential its appliance dials with, a token its devices enroll with.</summary>
internal sealed record DrillSiteAccount(string SiteId, string Credential, string Token);
