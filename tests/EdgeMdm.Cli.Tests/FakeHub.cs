using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Staging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Cli.Tests;

/// <summary>
/// The hub's REST API as the CLI's contract describes it, in memory, on a real Kestrel on 127.0.0.1 port 0.
/// Records every request ("PUT /api/v1/blueprints/pickers") so tests can tell what was sent.
/// </summary>
public sealed partial class FakeHub : IAsyncDisposable
{
    public const string ApiToken = "test-api-token-0123456789";

    private readonly WebApplication _app;
    private int _nextId;

    private FakeHub(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public ConcurrentQueue<string> Requests { get; } = new();

    public ConcurrentDictionary<string, Blueprint> Blueprints { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, string> Sites { get; } = new(StringComparer.Ordinal);

    /// <summary>Staging plans as the CLI sent them, secrets in clear (the real hub protects them).</summary>
    public ConcurrentDictionary<string, StagingPlan> StagingPlans { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, JsonObject> Commands { get; } = new(StringComparer.Ordinal);

    /// <summary>The last body of each POST, by path, for asserting what the CLI sent.</summary>
    public ConcurrentDictionary<string, JsonNode?> Bodies { get; } = new(StringComparer.Ordinal);

    /// <summary>What each site reported of its sync (backlog, lagSeconds, uplinkState), by site id; absent sites have none.</summary>
    public ConcurrentDictionary<string, (ulong Backlog, long LagSeconds, string Uplink)> SyncReports { get; } = new(StringComparer.Ordinal);

    /// <summary>Devices as GET /api/v1/devices returns them (each a JSON object with at least siteId).</summary>
    public IList<JsonObject> Devices { get; } = [];

    /// <summary>The sites of the token's role as GET /me answers them (a site operator's).</summary>
    private static readonly string[] TokenSites = ["lyon-dc"];

    /// <summary>Until when the API token is valid, as sign-in and GET /me answer.</summary>
    public DateTimeOffset TokenExpiresAt { get; set; } = new(2036, 12, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Central IT accounts of the (one) tenant: user name → password.</summary>
    public ConcurrentDictionary<string, string> Accounts { get; } = new(StringComparer.Ordinal);

    /// <summary>Site users by "site/user": role and password.</summary>
    public ConcurrentDictionary<string, (string Role, string Password)> SiteUsers { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests that changed something.</summary>
    public IReadOnlyList<string> Writes => Requests.Where(r => !r.StartsWith("GET ", StringComparison.Ordinal)).ToList();

    public static async Task<FakeHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var hub = new FakeHub(app);
        hub.Map(app);
        await app.StartAsync();
        hub.Url = new Uri(app.Urls.First()); // once started, the address Kestrel bound, with its port
        return hub;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            if (!context.Request.Path.Equals("/api/v1/login", StringComparison.Ordinal) && !string.Equals(context.Request.Headers.Authorization.ToString(), "Bearer " + ApiToken, StringComparison.Ordinal))
            {
                await Results.Problem(title: "Unauthorized", detail: "unknown or missing API token", statusCode: 401).ExecuteAsync(context);
                return;
            }

            await next(context);
        });

        MapSites(app);
        MapBlueprints(app);
        MapCommandsAndDevices(app);
        MapPeople(app);
        MapPackages(app);
        MapRollouts(app);
    }

    private void MapPeople(WebApplication app)
    {
        app.MapPost("/api/v1/login", (JsonObject body) =>
        {
            Bodies["/api/v1/login"] = body.DeepClone();
            var (user, password) = (body["user"]?.GetValue<string>() ?? "", body["password"]?.GetValue<string>());
            var tenant = body["tenant"]?.GetValue<string>() ?? "default";
            if (!string.Equals(tenant, "default", StringComparison.Ordinal) || !Accounts.TryGetValue(user, out var expected) || !string.Equals(expected, password, StringComparison.Ordinal))
                return Results.Problem(title: "Unauthorized", detail: "unknown user or wrong password", statusCode: 401);
            return Results.Json(new { token = ApiToken, tenant, user, expiresAt = TokenExpiresAt, role = "operator", sites = Array.Empty<string>() }, statusCode: 201);
        });
        app.MapGet("/api/v1/me", () =>
            Results.Json(new { tenant = "default", name = "tests", account = (string?)null, role = "site-operator", sites = TokenSites, expiresAt = TokenExpiresAt }));

        app.MapPost("/api/v1/accounts", (JsonObject body) =>
        {
            Bodies["/api/v1/accounts"] = body.DeepClone();
            var name = body["userName"]?.GetValue<string>() ?? "";
            var given = body["password"]?.GetValue<string>();
            var password = given ?? "generated-" + Next() + "-Xk3mPq9";
            if (!Accounts.TryAdd(name, password))
                return Results.Problem(title: "Conflict", detail: $"an account named '{name}' exists", statusCode: 409);
            var role = body["role"]?.GetValue<string>() ?? "viewer";
            return Results.Json(new { userName = name, password = given is null ? password : null, role, sites = body["sites"]?.DeepClone() ?? new JsonArray() }, statusCode: 201);
        });
        app.MapPatch("/api/v1/accounts/{name}", (string name, JsonObject body) =>
        {
            Bodies[$"/api/v1/accounts/{name}"] = body.DeepClone();
            return Accounts.ContainsKey(name)
                ? Results.Json(new { userName = name, role = body["role"]?.GetValue<string>(), sites = body["sites"]?.DeepClone() ?? new JsonArray() })
                : Results.Problem(title: "Not found", detail: $"no account '{name}'", statusCode: 404);
        });
        app.MapGet("/api/v1/accounts", () => Results.Json(Accounts.Keys.Order(StringComparer.Ordinal).Select(n => new { userName = n, createdAt = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero) })));
        app.MapDelete("/api/v1/accounts/{name}", (string name) =>
            Accounts.TryRemove(name, out _) ? Results.NoContent() : Results.Problem(title: "Not found", detail: $"no account '{name}'", statusCode: 404));

        app.MapPost("/api/v1/sites/{siteId}/users", (string siteId, JsonObject body) =>
        {
            Bodies[$"/api/v1/sites/{siteId}/users"] = body.DeepClone();
            if (!Sites.ContainsKey(siteId))
                return Results.Problem(title: "Not found", detail: $"no site '{siteId}'", statusCode: 404);
            var (name, role, given) = (body["userName"]!.GetValue<string>(), body["role"]!.GetValue<string>(), body["password"]?.GetValue<string>());
            var password = given ?? "generated-" + Next() + "-Zr7wLc2";
            var created = !SiteUsers.ContainsKey($"{siteId}/{name}");
            SiteUsers[$"{siteId}/{name}"] = (role, password);
            return Results.Json(new { siteId, userName = name, role, created, password = given is null ? password : null }, statusCode: created ? 201 : 200);
        });
        app.MapGet("/api/v1/sites/{siteId}/users", (string siteId) => Sites.ContainsKey(siteId)
            ? Results.Json(SiteUsers.Where(u => u.Key.StartsWith(siteId + "/", StringComparison.Ordinal)).OrderBy(u => u.Key, StringComparer.Ordinal)
                .Select(u => new { userName = u.Key[(siteId.Length + 1)..], role = u.Value.Role, updatedAt = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero) }))
            : Results.Problem(title: "Not found", detail: $"no site '{siteId}'", statusCode: 404));
        app.MapDelete("/api/v1/sites/{siteId}/users/{name}", (string siteId, string name) =>
            SiteUsers.TryRemove($"{siteId}/{name}", out _) ? Results.NoContent() : Results.Problem(title: "Not found", detail: $"site '{siteId}' has no user '{name}'", statusCode: 404));
    }

    private void MapSites(WebApplication app)
    {
        app.MapPost("/api/v1/sites", (JsonObject body) =>
        {
            var name = body["name"]?.GetValue<string>();
            if (string.IsNullOrWhiteSpace(name))
                return Results.ValidationProblem(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["name"] = ["name is required"] });
            if (Sites.Values.Contains(name, StringComparer.Ordinal))
                return Results.Problem(title: "Conflict", detail: $"a site named '{name}' exists", statusCode: 409);
            var id = "site-" + Next();
            Sites[id] = name;
            return Results.Json(new { siteId = id, credential = "cred-" + id + "-secret" }, statusCode: 201);
        });

        app.MapGet("/api/v1/sites", () => Results.Json(Sites.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new
        {
            siteId = s.Key,
            name = s.Value,
            lastSyncAt = SyncReports.ContainsKey(s.Key) ? new DateTimeOffset(2026, 11, 24, 11, 59, 0, TimeSpan.Zero) : (DateTimeOffset?)null,
            appliedThrough = 0,
            feedHead = Blueprints.Count,
            backlog = SyncReports.TryGetValue(s.Key, out var r) ? r.Backlog : (ulong?)null,
            lagSeconds = SyncReports.TryGetValue(s.Key, out var l) ? l.LagSeconds : (long?)null,
            uplinkState = SyncReports.TryGetValue(s.Key, out var u) ? u.Uplink : null,
            somethingNew = "ignored by the CLI",
        })));

    }

    private void MapBlueprints(WebApplication app)
    {
        // Each blueprint as the domain record serializes (configurations carry their "hash"), plus a field
        // the CLI does not know, and os: {} where there is none, as a first server version might answer.
        app.MapGet("/api/v1/blueprints", () =>
        {
            var list = JsonSerializer.SerializeToNode(Blueprints.Values.OrderBy(b => b.Group, StringComparer.Ordinal).ToList(), Json)!.AsArray();
            foreach (var item in list)
            {
                item!["declarationsToken"] = "t-" + item["group"]!.GetValue<string>();
                item["os"] ??= new JsonObject();
            }

            return Results.Text(list.ToJsonString(), "application/json");
        });

        app.MapPut("/api/v1/blueprints/{group}", (string group, Blueprint blueprint) =>
        {
            if (!string.Equals(group, blueprint.Group, StringComparison.Ordinal))
                return Results.Problem(title: "Bad request", detail: "group in the path and body differ", statusCode: 400);
            var created = !Blueprints.ContainsKey(group);
            Blueprints[group] = blueprint;
            return Results.Json(new { group, changed = true }, statusCode: created ? 201 : 200);
        });

        app.MapDelete("/api/v1/blueprints/{group}", (string group) =>
            Blueprints.TryRemove(group, out _) ? Results.NoContent() : Results.Problem(title: "Not found", detail: $"no blueprint for {group}", statusCode: 404));

        // Staging plans as the hub answers them: listed by name and hash, compared field by field, a secret "changed".
        app.MapGet("/api/v1/staging-plans", () => Results.Json(
            StagingPlans.Values.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new { name = p.Name, contentHash = p.ContentHash(), plan = JsonNode.Parse(StagingPlanJson.SerializeRedacted(p)) }).ToList()));
        app.MapPost("/api/v1/staging-plans/{name}/compare", async (string name, HttpRequest request) =>
        {
            var plan = StagingPlanJson.DeserializeClear(await new StreamReader(request.Body).ReadToEndAsync());
            return StagingPlans.TryGetValue(name, out var held)
                ? Results.Json(new { name, exists = true, changes = StagingPlanDiff.Between(held, plan) })
                : Results.Json(new { name, exists = false, changes = Array.Empty<string>() });
        });
        app.MapPut("/api/v1/staging-plans/{name}", async (string name, HttpRequest request) =>
        {
            var created = !StagingPlans.ContainsKey(name);
            StagingPlans[name] = StagingPlanJson.DeserializeClear(await new StreamReader(request.Body).ReadToEndAsync());
            return Results.Json(new { name, changed = true }, statusCode: created ? 201 : 200);
        });
        app.MapDelete("/api/v1/staging-plans/{name}", (string name) =>
            Blueprints.Values.Any(b => string.Equals(b.StagingPlan, name, StringComparison.Ordinal))
                ? Results.Problem(title: "Conflict", detail: $"staging plan '{name}' is named by a blueprint", statusCode: 409)
                : StagingPlans.TryRemove(name, out _) ? Results.NoContent() : Results.Problem(title: "Not found", detail: $"no staging plan '{name}'", statusCode: 404));

    }

    private string Next() => Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);

    /// <summary>A port nothing listens on: bound, then released.</summary>
    public static Uri UnusedUrl()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
    }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);
}
