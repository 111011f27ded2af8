using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static EdgeMdm.Bench.BenchProcesses;

namespace EdgeMdm.Bench;

/// <summary>
/// The hub as a process of a scenario (REST and gRPC on the URLs given, its SQLite database in a directory of the run's),
/// with a REST client holding an admin token, through which the scenario sets up its site.
/// </summary>
internal sealed class BenchHub : IAsyncDisposable
{
    private BenchHub(ServerProcess process, HttpClient rest, Uri grpcUrl)
    {
        Process = process;
        Rest = rest;
        GrpcUrl = grpcUrl;
    }

    public ServerProcess Process { get; }

    /// <summary>Where its sites dial it (cleartext HTTP/2).</summary>
    public Uri GrpcUrl { get; }

    public HttpClient Rest { get; }

    /// <param name="extraArgs">More arguments of <c>serve</c>: <c>--tls-cert</c> and <c>--tls-key</c> for an https <paramref name="grpcUrl"/>.</param>
    public static async Task<BenchHub> StartAsync(
        string cloudDll, string hubDir, Uri restUrl, Uri grpcUrl, TimeSpan requestTimeout, CancellationToken cancellationToken, IEnumerable<string>? extraArgs = null)
    {
        var process = await BenchProcesses.StartAsync("hub", cloudDll,
            ["serve", "--database", hubDir, "--rest-url", Text(restUrl), "--grpc-url", Text(grpcUrl), .. extraArgs ?? []], restUrl, cancellationToken);
        var rest = new HttpClient { BaseAddress = restUrl, Timeout = requestTimeout };
        try
        {
            rest.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await AdminTokenAsync(cloudDll, hubDir, cancellationToken));
            return new BenchHub(process, rest, grpcUrl);
        }
        catch
        {
            rest.Dispose();
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds the site <paramref name="name"/> ("Bench DC" unless told): its id, and the credential its appliance dials the hub with.</summary>
    public async Task<(string SiteId, string Credential)> AddSiteAsync(CancellationToken cancellationToken, string name = "Bench DC")
    {
        var site = await PostAsync(Rest, "/api/v1/sites", new JsonObject { ["name"] = name }, cancellationToken);
        return (site["siteId"]!.GetValue<string>(), site["credential"]!.GetValue<string>());
    }

    /// <summary>Puts <paramref name="blueprint"/> as its group's (<c>group</c>) blueprint.</summary>
    public async Task PutBlueprintAsync(JsonObject blueprint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blueprint);
        using var response = await Rest.PutAsJsonAsync("/api/v1/blueprints/" + blueprint["group"]!.GetValue<string>(), blueprint, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new ServerStartException($"PUT blueprint: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    /// <summary>An enrollment token of the site for the group pickers, good for <paramref name="uses"/> devices.</summary>
    public async Task<string> IssueTokenAsync(string siteId, int uses, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var token = await PostAsync(Rest, $"/api/v1/sites/{siteId}/tokens",
            new JsonObject { ["group"] = "pickers", ["uses"] = uses, ["expiresInSeconds"] = (int)lifetime.TotalSeconds }, cancellationToken);
        return token["token"]!.GetValue<string>();
    }

    /// <summary>The highest sequence of the site's log the hub has applied.</summary>
    public async Task<ulong> AppliedThroughAsync(string siteId, CancellationToken cancellationToken)
    {
        var sites = JsonNode.Parse(await Rest.GetStringAsync(new Uri("/api/v1/sites", UriKind.Relative), cancellationToken))!.AsArray();
        return sites.Single(s => string.Equals(s!["siteId"]!.GetValue<string>(), siteId, StringComparison.Ordinal))!["appliedThrough"]!.GetValue<ulong>();
    }

    public async ValueTask DisposeAsync()
    {
        Rest.Dispose();
        await Process.DisposeAsync();
    }
}
