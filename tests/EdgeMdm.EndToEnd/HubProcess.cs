using System.Net.Http.Headers;

namespace EdgeMdm.EndToEnd;

/// <summary>The cloud hub as a separate process (REST + gRPC on free loopback ports), with a signed-in REST client.</summary>
internal sealed class HubProcess : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private HubProcess(ServerProcess server, string database, Uri restUrl, Uri grpcUrl, string adminToken)
    {
        _server = server;
        Database = database;
        RestUrl = restUrl;
        GrpcUrl = grpcUrl;
        Rest = new HttpClient { BaseAddress = restUrl };
        Rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
    }

    public string Database { get; }

    public Uri RestUrl { get; }

    public Uri GrpcUrl { get; }

    public HttpClient Rest { get; }

    public string Log => _server.Output;

    /// <param name="database">What <c>serve --database</c> takes: a directory (SQLite, holding <c>cloud.db</c>), or a
    /// connection string, e.g. an Npgsql one (<c>Host=...</c>) that several hub processes may share as replicas.</param>
    /// <param name="restUrl">Given to restart a hub on the same ports (the appliance keeps its hub URL).</param>
    /// <param name="grpcUrl">An https one needs the certificate in <paramref name="extraArgs"/> (<c>--tls-cert</c>, <c>--tls-key</c>).</param>
    /// <param name="extraArgs">More switches for <c>serve</c>.</param>
    public static async Task<HubProcess> StartAsync(string database, Uri? restUrl = null, Uri? grpcUrl = null, IEnumerable<string>? extraArgs = null)
    {
        restUrl ??= ServerProcess.FreeLoopbackUrl();
        grpcUrl ??= ServerProcess.FreeLoopbackUrl();
        var server = await ServerProcess.StartAsync(
            Processes.CloudDll,
            ["serve", "--database", database, "--rest-url", restUrl.ToString().TrimEnd('/'), "--grpc-url", grpcUrl.ToString().TrimEnd('/'), .. extraArgs ?? []],
            restUrl, environment: null, CancellationToken.None);
        var token = await Processes.RunAsync(Processes.CloudDll, ["admin-token", "create", "--name", "e2e", "--database", database], TimeSpan.FromSeconds(60));
        Assert.True(token.ExitCode == 0, token.Stderr);
        return new HubProcess(server, database, restUrl, grpcUrl, token.Stdout.Trim());
    }

    public async Task<(string SiteId, string Credential)> AddSiteAsync(string name)
    {
        var site = await PostAsync("/api/v1/sites", new JsonObject { ["name"] = name });
        return (site["siteId"]!.GetValue<string>(), site["credential"]!.GetValue<string>());
    }

    /// <summary>A site with the scanner at version 100 for its pickers and a token 5000 devices may enroll with.</summary>
    public async Task<(string SiteId, string Credential, string Token)> AddSiteWithFleetTokenAsync(string name)
    {
        var (siteId, credential) = await AddSiteAsync(name);
        await PutBlueprintAsync("pickers", 100);
        return (siteId, credential, await IssueTokenAsync(siteId, "pickers", 5000));
    }

    public async Task PutBlueprintAsync(string group, long versionCode)
    {
        var blueprint = new JsonObject
        {
            ["group"] = group,
            ["apps"] = new JsonArray(new JsonObject { ["packageName"] = "com.edgemdm.sample.scanner", ["versionCode"] = versionCode, ["versionName"] = "1.0." + versionCode.ToString(CultureInfo.InvariantCulture) }),
            ["os"] = new JsonObject { ["minVersion"] = "13" },
            ["configurations"] = new JsonArray(),
            ["certificates"] = new JsonArray(),
            ["batteryHealthFloorPercent"] = 75,
        };
        using var response = await Rest.PutAsJsonAsync("/api/v1/blueprints/" + group, blueprint);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<string> IssueTokenAsync(string siteId, string group, int uses)
    {
        var token = await PostAsync($"/api/v1/sites/{siteId}/tokens", new JsonObject { ["group"] = group, ["uses"] = uses, ["expiresInSeconds"] = 3600 });
        return token["token"]!.GetValue<string>();
    }

    public async Task<ulong> AppliedThroughAsync(string siteId)
    {
        var sites = JsonNode.Parse(await Rest.GetStringAsync("/api/v1/sites"))!.AsArray();
        return sites.Single(s => string.Equals(s!["siteId"]!.GetValue<string>(), siteId, StringComparison.Ordinal))!["appliedThrough"]!.GetValue<ulong>();
    }

    private async Task<JsonNode> PostAsync(string path, JsonObject body)
    {
        using var response = await Rest.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>SIGKILL, mid-stream.</summary>
    public Task KillAsync() => _server.KillAsync();

    public async ValueTask DisposeAsync()
    {
        Rest.Dispose();
        await _server.DisposeAsync();
    }
}
