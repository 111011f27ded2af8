using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace EdgeMdm.Drills.Faults;

/// <summary>The hub as a process of its own (REST and gRPC on loopback ports it keeps across restarts), with a signed-in REST client.</summary>
internal sealed class DrillHub : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private DrillHub(ServerProcess server, string database, Uri restUrl, Uri grpcUrl, string adminToken)
    {
        _server = server;
        Database = database;
        RestUrl = restUrl;
        GrpcUrl = grpcUrl;
        Rest = new HttpClient { BaseAddress = restUrl, Timeout = TimeSpan.FromSeconds(30) };
        Rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
    }

    /// <summary>What <c>serve --database</c> took: a directory holding <c>cloud.db</c>.</summary>
    public string Database { get; }

    public string SqliteFile => Path.Combine(Database, "cloud.db");

    public Uri RestUrl { get; }

    public Uri GrpcUrl { get; }

    public HttpClient Rest { get; }

    /// <param name="restUrl">and <paramref name="grpcUrl"/>: given to restart a hub where the appliance dials it.</param>
    public static async Task<DrillHub> StartAsync(string database, Uri? restUrl = null, Uri? grpcUrl = null, CancellationToken cancellationToken = default)
    {
        restUrl ??= ServerProcess.FreeLoopbackUrl();
        grpcUrl ??= ServerProcess.FreeLoopbackUrl();
        var server = await ServerProcess.StartAsync(
            Built.CloudDll,
            ["serve", "--database", database, "--rest-url", restUrl.ToString().TrimEnd('/'), "--grpc-url", grpcUrl.ToString().TrimEnd('/')],
            restUrl, environment: null, cancellationToken);
        try
        {
            var token = await Built.RunAsync(Built.CloudDll, ["admin-token", "create", "--name", "drill", "--database", database], TimeSpan.FromSeconds(60));
            if (token.ExitCode != 0)
                throw new InvalidOperationException("admin-token create: " + token.Describe());
            return new DrillHub(server, database, restUrl, grpcUrl, token.Stdout.Trim());
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The same hub started again on its database and ports (after a stop, or a restore under it).</summary>
    public Task<DrillHub> StartAgainAsync(CancellationToken cancellationToken) => StartAsync(Database, RestUrl, GrpcUrl, cancellationToken);

    /// <summary>A site whose pickers run the scanner at version 100, and a token 5,000 devices may enroll with for a week.</summary>
    public async Task<DrillSiteAccount> AddSiteWithFleetTokenAsync(string name)
    {
        var site = await PostAsync("/api/v1/sites", new JsonObject { ["name"] = name });
        var blueprint = new JsonObject
        {
            ["group"] = "pickers",
            ["apps"] = new JsonArray(new JsonObject { ["packageName"] = "com.edgemdm.sample.scanner", ["versionCode"] = 100, ["versionName"] = "1.0.100" }),
            ["os"] = new JsonObject { ["minVersion"] = "13" },
            ["configurations"] = new JsonArray(),
            ["certificates"] = new JsonArray(),
            ["batteryHealthFloorPercent"] = 75,
        };
        using (var response = await Rest.PutAsJsonAsync("/api/v1/blueprints/pickers", blueprint))
        {
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException("PUT blueprint: " + await response.Content.ReadAsStringAsync());
        }

        var siteId = site["siteId"]!.GetValue<string>();
        // A week, not an hour: the clock-jump drill moves the appliance a day ahead, and the token must outlive that.
        var token = await PostAsync($"/api/v1/sites/{siteId}/tokens", new JsonObject { ["group"] = "pickers", ["uses"] = 5000, ["expiresInSeconds"] = 7 * 86400 });
        return new DrillSiteAccount(siteId, site["credential"]!.GetValue<string>(), token["token"]!.GetValue<string>());
    }

    /// <summary>How far the hub applied the site's log (its REST view).</summary>
    public async Task<ulong> AppliedThroughAsync(string siteId)
    {
        var sites = JsonNode.Parse(await Rest.GetStringAsync("/api/v1/sites"))!.AsArray();
        return sites.Single(s => string.Equals(s!["siteId"]!.GetValue<string>(), siteId, StringComparison.Ordinal))!["appliedThrough"]!.GetValue<ulong>();
    }

    /// <summary>SIGTERM: the hub stops cleanly (its SQLite WAL checkpointed), as before a backup of its files.</summary>
    public Task StopAsync() => _server.StopAsync();

    public async ValueTask DisposeAsync()
    {
        Rest.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<JsonNode> PostAsync(string path, JsonObject body)
    {
        using var response = await Rest.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}

/// <summary>A site at the hub: its id, the credential its appliance dials with, a token its devices enroll with.</summary>
internal sealed record DrillSiteAccount(string SiteId, string Credential, string Token);
