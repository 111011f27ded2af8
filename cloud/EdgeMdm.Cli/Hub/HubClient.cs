using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.Cli.Hub;

/// <summary>
/// Every REST call the CLI makes to the hub, and nothing else: when the hub's API moves, this file (and the
/// answer shapes in <see cref="HubModels"/>) is what changes. Answers are read with case-insensitive names and
/// unknown fields are ignored. A refusal becomes <see cref="HubException"/> (title and detail of the RFC 9457
/// problem), a network failure <see cref="HubUnreachableException"/>.
/// </summary>
public sealed class HubClient : IDisposable
{
    private readonly HttpClient _http;

    /// <param name="token">The API token; null for the one call that needs none (<see cref="LoginAsync"/>).</param>
    /// <param name="timeout">How long one call may take; 30 s when null. An upload of a large package needs <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    public HubClient(Uri server, string? token, HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        Server = server;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = server;
        _http.Timeout = timeout ?? TimeSpan.FromSeconds(30);
        if (token is not null)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public Uri Server { get; }

    public Task<HubSiteCreated> AddSiteAsync(string name, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "api/v1/sites", JsonContent.Create(new HubCreateSite(name), HubJson.Default.HubCreateSite), HubJson.Default.HubSiteCreated, cancellationToken);

    public async Task<IReadOnlyList<HubSite>> ListSitesAsync(CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Get, "api/v1/sites", null, HubJson.Default.ListHubSite, cancellationToken);

    public async Task<IReadOnlyList<Blueprint>> ListBlueprintsAsync(CancellationToken cancellationToken)
    {
        var blueprints = await SendAsync(HttpMethod.Get, "api/v1/blueprints", null, HubJson.Default.ListBlueprint, cancellationToken);
        return blueprints.Select(Normalize).ToList();
    }

    public Task PutBlueprintAsync(Blueprint blueprint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blueprint);
        return SendAsync(HttpMethod.Put, "api/v1/blueprints/" + Uri.EscapeDataString(blueprint.Group), JsonContent.Create(blueprint, HubJson.Default.Blueprint), cancellationToken);
    }

    /// <summary>The tenant's staging plans by name and content hash (the hub never sends a secret).</summary>
    public async Task<IReadOnlyList<HubStagingPlan>> ListStagingPlansAsync(CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Get, "api/v1/staging-plans", null, HubJson.Default.ListHubStagingPlan, cancellationToken);

    /// <summary>What putting the plan would change; the hub compares secrets and answers "changed", never a value.</summary>
    public Task<HubStagingPlanComparison> CompareStagingPlanAsync(StagingPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return SendAsync(HttpMethod.Post, $"api/v1/staging-plans/{Uri.EscapeDataString(plan.Name)}/compare", ClearPlan(plan), HubJson.Default.HubStagingPlanComparison, cancellationToken);
    }

    public Task PutStagingPlanAsync(StagingPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return SendAsync(HttpMethod.Put, "api/v1/staging-plans/" + Uri.EscapeDataString(plan.Name), ClearPlan(plan), cancellationToken);
    }

    public Task DeleteStagingPlanAsync(string name, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, "api/v1/staging-plans/" + Uri.EscapeDataString(name), null, cancellationToken);

    /// <summary>The plan with its secrets in clear: the one body that carries them, to the hub that protects them.</summary>
    private static StringContent ClearPlan(StagingPlan plan) =>
        new(StagingPlanJson.SerializeClear(plan), System.Text.Encoding.UTF8, "application/json");

    public Task DeleteBlueprintAsync(string group, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, "api/v1/blueprints/" + Uri.EscapeDataString(group), null, cancellationToken);

    public async Task<HubTokenIssued> CreateTokenAsync(string siteId, string group, int uses, TimeSpan expiresIn, CancellationToken cancellationToken)
    {
        var request = new HubIssueToken(group, uses, (long)expiresIn.TotalSeconds);
        return await SendAsync(
            HttpMethod.Post,
            $"api/v1/sites/{Uri.EscapeDataString(siteId)}/tokens",
            JsonContent.Create(request, HubJson.Default.HubIssueToken),
            HubJson.Default.HubTokenIssued,
            cancellationToken);
    }

    public Task<HubCommandQueued> SendCommandAsync(HubQueueCommand command, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "api/v1/commands", JsonContent.Create(command, HubJson.Default.HubQueueCommand), HubJson.Default.HubCommandQueued, cancellationToken);

    public Task<HubCommand> GetCommandAsync(string commandId, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, "api/v1/commands/" + Uri.EscapeDataString(commandId), null, HubJson.Default.HubCommand, cancellationToken);

    public async Task<IReadOnlyList<HubDevice>> ListDevicesAsync(string? siteId, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Get, FilteredBy("api/v1/devices", "site", siteId), null, HubJson.Default.ListHubDevice, cancellationToken);

    /// <summary>Signs in with an account's user name and password: a new API token of the tenant, with its expiry.</summary>
    public Task<HubSignedIn> LoginAsync(string user, string password, string? tenant, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "api/v1/login", JsonContent.Create(new HubLogin(user, password, tenant), HubJson.Default.HubLogin), HubJson.Default.HubSignedIn, cancellationToken);

    /// <summary>Adds an account; a null <c>Password</c> has the hub generate one, which the answer holds; a null <c>Role</c> makes a viewer.</summary>
    public Task<HubAccountAdded> AddAccountAsync(HubAddAccount account, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "api/v1/accounts", JsonContent.Create(account, HubJson.Default.HubAddAccount), HubJson.Default.HubAccountAdded, cancellationToken);


    public async Task<IReadOnlyList<HubAccount>> ListAccountsAsync(CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Get, "api/v1/accounts", null, HubJson.Default.ListHubAccount, cancellationToken);

    public Task RemoveAccountAsync(string userName, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, "api/v1/accounts/" + Uri.EscapeDataString(userName), null, cancellationToken);

    /// <summary>Creates a site user or replaces its role and password; a null <paramref name="password"/> has the hub generate one.</summary>
    public Task<HubSiteUserSaved> SaveSiteUserAsync(string siteId, string userName, string role, string? password, CancellationToken cancellationToken) =>
        SendAsync(
            HttpMethod.Post,
            $"api/v1/sites/{Uri.EscapeDataString(siteId)}/users",
            JsonContent.Create(new HubSiteUserRequest(userName, role, password), HubJson.Default.HubSiteUserRequest),
            HubJson.Default.HubSiteUserSaved,
            cancellationToken);

    public async Task<IReadOnlyList<HubSiteUser>> ListSiteUsersAsync(string siteId, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Get, $"api/v1/sites/{Uri.EscapeDataString(siteId)}/users", null, HubJson.Default.ListHubSiteUser, cancellationToken);

    public Task RemoveSiteUserAsync(string siteId, string userName, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"api/v1/sites/{Uri.EscapeDataString(siteId)}/users/{Uri.EscapeDataString(userName)}", null, cancellationToken);

    /// <summary>
    /// Uploads a package file as it is read from <paramref name="file"/> (never whole in memory) and returns the
    /// signed manifest; the hub answers the same bytes again with the stored manifest.
    /// </summary>
    public Task<HubPackage> UploadPackageAsync(
        Stream file, string packageName, long versionCode, string versionName, string? minOs, CancellationToken cancellationToken)
    {
        var query = "packageName=" + Uri.EscapeDataString(packageName)
            + "&versionCode=" + versionCode.ToString(CultureInfo.InvariantCulture)
            + "&versionName=" + Uri.EscapeDataString(versionName)
            + (minOs is null ? "" : "&minOs=" + Uri.EscapeDataString(minOs));
        var content = new StreamContent(file, 81_920);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return SendAsync(HttpMethod.Post, "api/v1/packages?" + query, content, HubJson.Default.HubPackage, cancellationToken);
    }

    public async Task<IReadOnlyList<HubPackage>> ListPackagesAsync(string? packageName, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Get, FilteredBy("api/v1/packages", "packageName", packageName), null, HubJson.Default.ListHubPackage, cancellationToken);

    /// <summary>
    /// The current rollouts of the package, one per group, limited to one site's devices when given: the hub's
    /// answer as it came (what <c>--json</c> prints) and read into <see cref="HubRollout"/>.
    /// </summary>
    /// <param name="packageName">Null: every current rollout of the tenant, whatever the package (an empty list when none).</param>
    public async Task<(JsonElement Answer, IReadOnlyList<HubRollout> Rollouts)> GetRolloutsAsync(string? packageName, string? siteId, CancellationToken cancellationToken)
    {
        var query = new List<string>();
        if (packageName is not null)
            query.Add("packageName=" + Uri.EscapeDataString(packageName));
        if (siteId is not null)
            query.Add("site=" + Uri.EscapeDataString(siteId));
        var path = "api/v1/rollouts" + (query.Count == 0 ? "" : "?" + string.Join('&', query));
        var answer = await SendAsync(HttpMethod.Get, path, null, HubJson.Default.JsonElement, cancellationToken);
        try
        {
            return (answer, answer.Deserialize(HubJson.Default.ListHubRollout) ?? []);
        }
        catch (JsonException exception)
        {
            throw new HubException("Unexpected answer", $"GET /{path} returned JSON the CLI does not understand ({exception.Message})");
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A GET for a feature's own calls kept beside it (<c>Custody/CustodyClient</c>): the answer, or <see cref="HubException"/>.</summary>
    internal Task<T> GetAsync<T>(string path, JsonTypeInfo<T> answer, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, answer, cancellationToken);

    /// <summary>A GET whose answer is text (an export's CSV or JSON lines), as it came; or <see cref="HubException"/>.</summary>
    internal async Task<string> GetTextAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await ExchangeAsync(HttpMethod.Get, path, null, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>A list's path, narrowed by one query parameter when it has a value (no parameter lists everything).</summary>
    private static string FilteredBy(string path, string parameter, string? value) =>
        value is null ? path : path + "?" + parameter + "=" + Uri.EscapeDataString(value);

    /// <summary>A call for a feature's own requests kept beside it (<c>Accounts/AccountClient</c>): the answer, or <see cref="HubException"/>.</summary>
    internal async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? body, JsonTypeInfo<T> answer, CancellationToken cancellationToken)
    {
        using var response = await ExchangeAsync(method, path, body, cancellationToken);
        try
        {
            return await response.Content.ReadFromJsonAsync(answer, cancellationToken)
                ?? throw new HubException("Unexpected answer", $"{method} /{path} returned an empty body");
        }
        catch (JsonException exception)
        {
            throw new HubException("Unexpected answer", $"{method} /{path} returned JSON the CLI does not understand ({exception.Message})");
        }
    }

    private async Task SendAsync(HttpMethod method, string path, HttpContent? body, CancellationToken cancellationToken)
    {
        using var response = await ExchangeAsync(method, path, body, cancellationToken);
    }

    private async Task<HttpResponseMessage> ExchangeAsync(HttpMethod method, string path, HttpContent? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw new HubUnreachableException(Server, exception.Message, exception);
        }
        catch (TaskCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HubUnreachableException(Server, $"no answer within {_http.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s", exception);
        }

        if (response.IsSuccessStatusCode)
            return response;
        using (response)
            throw await RefusalAsync(response, cancellationToken);
    }

    /// <summary>The problem details of a refused call, or what can be said without them.</summary>
    private static async Task<HubException> RefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        HubProblem? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync(HubJson.Default.HubProblem, cancellationToken);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or InvalidOperationException)
        {
            // Not a problem document (a proxy's HTML page, an empty 401): fall back to the status code.
        }

        var title = string.IsNullOrWhiteSpace(problem?.Title) ? DefaultTitle(response) : problem.Title;
        var detail = problem?.Detail;
        if (problem?.Errors is { Count: > 0 } errors)
        {
            var fields = string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
            detail = string.IsNullOrWhiteSpace(detail) ? fields : $"{detail} ({fields})";
        }

        if (string.IsNullOrWhiteSpace(detail))
        {
            detail = response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => "the hub did not accept the API token (run 'edgemdm login --server URL --token T')",
                HttpStatusCode.Forbidden => "the API token may not do this",
                HttpStatusCode.NotFound => $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} does not exist on this hub",
                _ => $"HTTP {((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)}",
            };
        }

        return new HubException(title, detail, response.StatusCode);
    }

    private static string DefaultTitle(HttpResponseMessage response) =>
        string.IsNullOrWhiteSpace(response.ReasonPhrase) ? "HTTP " + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture) : response.ReasonPhrase;

    /// <summary>A blueprint as the hub sent it, with absent lists read as empty.</summary>
    private static Blueprint Normalize(Blueprint b) => new(
        b.Group ?? "",
        b.Apps ?? [],
        b.Os is { MinVersion: null, MinSecurityPatch: null } ? null : b.Os,
        (b.Configurations ?? []).Select(c => new ConfigurationPayload(c.Id ?? "", c.Values ?? new Dictionary<string, string>(StringComparer.Ordinal))).ToList(),
        b.Certificates ?? [],
        b.BatteryHealthFloorPercent)
    {
        StagingPlan = b.StagingPlan,
    };
}

/// <summary>The hub refused a call; <see cref="Exception.Message"/> is "title: detail".</summary>
public sealed class HubException(string title, string detail, HttpStatusCode? status = null) : Exception($"{title}: {detail}")
{
    public string Title { get; } = title;

    public string Detail { get; } = detail;

    public HttpStatusCode? Status { get; } = status;
}

/// <summary>The hub could not be reached at all (refused connection, DNS, TLS, timeout).</summary>
public sealed class HubUnreachableException(Uri server, string reason, Exception innerException)
    : Exception($"cannot reach the hub at {server}: {reason}", innerException);
