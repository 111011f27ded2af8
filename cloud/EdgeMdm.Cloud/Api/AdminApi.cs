using EdgeMdm.Cloud.Hosting;
using EdgeMdm.Cloud.Storage;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Api;

/// <summary>
/// The REST API for central IT under <c>/api/v1</c>: thin handlers that check the request, call the store and
/// map its refusals to RFC 9457 problems. Every call but <c>POST /login</c> needs
/// <c>Authorization: Bearer &lt;api token&gt;</c> and acts inside the token's tenant: what belongs to another
/// tenant is answered exactly as what does not exist (404, never 403).
/// </summary>
internal static class AdminApi
{
    private const string CallerKey = "edgemdm.caller";
    private const long MaxExpirySeconds = 366L * 24 * 3600;

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/login", AccountApi.LoginAsync);
        var api = routes.MapGroup("/api/v1").AddEndpointFilter(AuthenticateAsync);
        api.MapPost("/sites", CreateSiteAsync);
        api.MapGet("/sites", async (HttpContext http, ISiteRegistry sites, TimeProvider time, CancellationToken ct) =>
        {
            var now = time.GetUtcNow();
            return TypedResults.Json((await sites.ListSitesAsync(Tenant(http), ct)).Select(s => SiteView.Of(s, now)).ToList(), ApiJson.Default.ListSiteView);
        });
        api.MapPost("/sites/{siteId}/tokens", IssueTokenAsync);
        api.MapGet("/blueprints", async (HttpContext http, ICatalogStore catalog, CancellationToken ct) =>
            TypedResults.Json((await catalog.ListBlueprintsAsync(Tenant(http), ct)).ToList(), ApiJson.Default.ListBlueprint));
        api.MapPut("/blueprints/{group}", PutBlueprintAsync);
        api.MapDelete("/blueprints/{group}", async (string group, HttpContext http, ICatalogStore catalog, CancellationToken ct) =>
            await catalog.DeleteBlueprintAsync(Tenant(http), group, ct) ? Results.NoContent() : Problems.NotFound($"group '{group}' has no blueprint"));
        api.MapPost("/commands", QueueCommandAsync);
        api.MapGet("/commands/{commandId}", async (string commandId, HttpContext http, ICatalogStore catalog, CancellationToken ct) =>
            await catalog.CommandStatusAsync(Tenant(http), commandId, ct) is { } command
                ? TypedResults.Json(command, ApiJson.Default.CommandRecord)
                : Problems.NotFound($"no command '{commandId}'"));
        api.MapGet("/devices", ListDevicesAsync);
        api.MapAccountApi();
        api.MapPackageApi();
        api.MapRolloutApi();
        return routes;
    }

    /// <summary>Who the API token speaks for, set by the authentication filter.</summary>
    internal static ApiCaller Caller(HttpContext context) =>
        context.Items[CallerKey] as ApiCaller ?? throw new InvalidOperationException("the endpoint runs without the authentication filter");

    /// <summary>The tenant every call acts in: the API token's.</summary>
    internal static string Tenant(HttpContext context) => Caller(context).TenantId;

    private static async ValueTask<object?> AuthenticateAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        var token = header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? header[Bearer.Length..].Trim() : "";
        var tokens = http.RequestServices.GetRequiredService<IAdminTokens>();
        var caller = token.Length == 0 ? null : await tokens.AuthenticateApiTokenAsync(token, http.RequestAborted);
        if (caller is null)
        {
            var reason = token.Length == 0 ? "no bearer token" : "unknown or expired API token";
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminApi).FullName!);
            Log.ApiUnauthenticated(logger, http.Request.Method, http.Request.Path, reason);
            return Problems.Unauthorized(token.Length == 0
                ? "the call needs 'Authorization: Bearer <api token>' (create one with 'edgemdm-cloud admin-token create')"
                : "the API token is not known to this hub or has expired (sign in again with 'edgemdm login')");
        }

        http.Items[CallerKey] = caller;
        return await next(invocation);
    }

    private static async Task<IResult> CreateSiteAsync(HttpContext http, ISiteRegistry sites, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.CreateSiteRequest);
        if (problem is not null)
            return problem;
        var v = new Validation();
        v.RequiredText("name", body!.Name, 100);
        if (v.Valid && !body.Name!.Any(char.IsAsciiLetterOrDigit))
            v.Add("name", "must hold a letter or digit (the site id is made of them)");
        if (!v.Valid)
            return v.Problem();
        try
        {
            var site = await sites.AddSiteAsync(Tenant(http), body.Name!.Trim(), ct);
            return TypedResults.Json(new SiteCreated(site.SiteId, site.Credential), ApiJson.Default.SiteCreated,
                statusCode: StatusCodes.Status201Created);
        }
        catch (StoreConflictException exception)
        {
            return Problems.Conflict(exception.Message);
        }
    }

    private static async Task<IResult> PutBlueprintAsync(string group, HttpContext http, ICatalogStore catalog, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.Blueprint);
        if (problem is not null)
            return problem;
        var v = new Validation();
        v.GroupName("group", group);
        if (body!.Group is { Length: > 0 } named && !string.Equals(named, group, StringComparison.Ordinal))
            v.Add("group", $"is '{named}' in the body but '{group}' in the path");
        var blueprint = Normalize(body, group, v);
        if (!v.Valid)
            return v.Problem();
        var tenant = Tenant(http);
        var existed = (await catalog.ListBlueprintsAsync(tenant, ct)).Any(b => string.Equals(b.Group, group, StringComparison.Ordinal));
        var changed = await catalog.UpsertBlueprintAsync(tenant, blueprint, ct);
        return TypedResults.Json(
            new BlueprintSaved(group, blueprint.ToDeclarations().Token, changed), ApiJson.Default.BlueprintSaved,
            statusCode: existed ? StatusCodes.Status200OK : StatusCodes.Status201Created);
    }

    /// <summary>
    /// The blueprint with absent lists made empty (JSON may leave them out, the record says they are never
    /// null), its items checked into <paramref name="v"/>.
    /// </summary>
    private static Blueprint Normalize(Blueprint body, string group, Validation v)
    {
        // The deserialiser leaves absent members null whatever the record's annotations say.
        IReadOnlyList<RequiredApp?> apps = body.Apps ?? [];
        IReadOnlyList<ConfigurationPayload?> configurations = body.Configurations ?? [];
        IReadOnlyList<CertificateRule?> certificates = body.Certificates ?? [];
        for (var i = 0; i < apps.Count; i++)
        {
            var at = Validation.At("apps", i);
            if (apps[i] is not { } app)
            {
                v.Add(at, "cannot be null");
                continue;
            }

            v.RequiredText(at + ".packageName", app.PackageName);
            v.Range(at + ".versionCode", app.VersionCode, 0, long.MaxValue, required: false);
            if (app.VersionName is null)
                v.Add(at + ".versionName", "is required");
            ValidateRollout(at + ".rollout", app.Rollout, v);
        }

        for (var i = 0; i < configurations.Count; i++)
        {
            var at = Validation.At("configurations", i);
            if (configurations[i] is not { } configuration)
                v.Add(at, "cannot be null");
            else
            {
                v.RequiredText(at + ".id", configuration.Id);
                if (configuration.Values is null)
                    v.Add(at + ".values", "is required");
            }
        }

        for (var i = 0; i < certificates.Count; i++)
        {
            var at = Validation.At("certificates", i);
            if (certificates[i] is not { } certificate)
                v.Add(at, "cannot be null");
            else
            {
                v.RequiredText(at + ".name", certificate.Name);
                v.Range(at + ".minDaysValid", certificate.MinDaysValid, 0, 3650, required: false);
            }
        }

        v.Range("batteryHealthFloorPercent", body.BatteryHealthFloorPercent, 0, 100, required: false);
        return body with
        {
            Group = group,
            Apps = apps.OfType<RequiredApp>().ToList(),
            Configurations = configurations.OfType<ConfigurationPayload>().ToList(),
            Certificates = certificates.OfType<CertificateRule>().ToList(),
        };
    }

    /// <summary>An app's rollout as given: its plan, checked by the rules the sites apply it with.</summary>
    private static void ValidateRollout(string at, AppRollout? rollout, Validation v)
    {
        if (rollout is null)
            return;
        if (rollout.Plan is null)
        {
            v.Add(at + ".plan", "is required (or leave rollout out for the default plan)");
            return;
        }

        foreach (var (field, messages) in rollout.Plan.Validate())
            v.Add($"{at}.plan.{field}", string.Join("; ", messages));
    }

    private static async Task<IResult> IssueTokenAsync(
        string siteId, HttpContext http, ISiteRegistry sites, ICatalogStore catalog, TimeProvider time, CancellationToken ct)
    {
        var tenant = Tenant(http);
        if (!await sites.SiteExistsAsync(tenant, siteId, ct))
            return Problems.NotFound($"no site '{siteId}'");
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.IssueTokenRequest);
        if (problem is not null)
            return problem;
        var v = new Validation();
        v.GroupName("group", body!.Group);
        v.Range("uses", body.Uses, 1, 1_000_000, required: true);
        v.Range("expiresInSeconds", body.ExpiresInSeconds, 60, MaxExpirySeconds, required: true);
        if (v.Valid && !(await catalog.ListBlueprintsAsync(tenant, ct)).Any(b => string.Equals(b.Group, body.Group, StringComparison.Ordinal)))
            v.Add("group", $"'{body.Group}' has no blueprint; PUT /api/v1/blueprints/{body.Group} first");
        if (!v.Valid)
            return v.Problem();
        var expiresAt = time.GetUtcNow().AddSeconds(body.ExpiresInSeconds!.Value);
        try
        {
            var token = await catalog.IssueTokenAsync(tenant, siteId, body.Group!, (uint)body.Uses!.Value, expiresAt, ct);
            return TypedResults.Json(new TokenIssued(token, body.Group!, (uint)body.Uses.Value, expiresAt), ApiJson.Default.TokenIssued,
                statusCode: StatusCodes.Status201Created);
        }
        catch (StoreConflictException)
        {
            return Problems.NotFound($"no site '{siteId}'");
        }
    }

    /// <summary>
    /// POST /api/v1/commands: for one device (<c>deviceId</c>; <c>siteId</c> may be left out when the hub's device
    /// projection knows the id at exactly one site: 404 when at none, 409 when at several) or for a group (every
    /// non-retired device of <c>group</c> the hub knows, across sites or in <c>siteId</c>; 404 when there is none).
    /// </summary>
    private static async Task<IResult> QueueCommandAsync(
        HttpContext http, ICatalogStore catalog, IFleetReadStore fleet, ISiteRegistry sites, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.QueueCommandRequest);
        if (problem is not null)
            return problem;
        var v = new Validation();
        var forGroup = body!.Group is not null;
        var parameters = ValidateCommand(body, v);
        var tenant = Tenant(http);
        var createdBy = Caller(http).Name;
        if (v.Valid && body.SiteId is { } named && !await sites.SiteExistsAsync(tenant, named, ct))
            v.Add("siteId", $"no site '{named}'");
        if (!v.Valid)
            return v.Problem();
        DateTimeOffset? expiresAt = body.ExpiresInSeconds is { } seconds ? time.GetUtcNow().AddSeconds(seconds) : null;
        var reason = body.Reason?.Trim() ?? "";
        try
        {
            if (forGroup)
            {
                var devices = await fleet.ListGroupAsync(tenant, body.Group!, body.SiteId, ct);
                if (devices.Count == 0)
                {
                    return Problems.NotFound(body.SiteId is null
                        ? $"the hub knows no device of group '{body.Group}' that is not retired"
                        : $"the hub knows no device of group '{body.Group}' at site '{body.SiteId}' that is not retired");
                }

                var targets = devices.Select(d => new CommandTarget(d.SiteId, d.DeviceId)).ToList();
                var ids = await catalog.QueueCommandsAsync(tenant, targets, body.Type!, parameters, expiresAt, createdBy, reason, ct);
                return TypedResults.Json(new CommandsQueued(body.Group!, ids, targets), ApiJson.Default.CommandsQueued, statusCode: StatusCodes.Status201Created);
            }

            var siteId = body.SiteId;
            if (siteId is null)
            {
                var found = await fleet.FindDeviceAsync(tenant, body.DeviceId!, ct);
                if (found.Count == 0)
                    return Problems.NotFound($"the hub knows no device '{body.DeviceId}'; give its siteId to queue the command anyway");
                if (found.Count > 1)
                    return Problems.Conflict($"device '{body.DeviceId}' is known at several sites ({string.Join(", ", found.Select(d => d.SiteId))}); give siteId");
                siteId = found[0].SiteId;
            }

            var commandId = await catalog.QueueCommandAsync(tenant, siteId, body.DeviceId!, body.Type!, parameters, expiresAt, createdBy, reason, ct);
            return TypedResults.Json(new CommandQueued(commandId, siteId), ApiJson.Default.CommandQueued, statusCode: StatusCodes.Status201Created);
        }
        catch (StoreConflictException)
        {
            return Problems.Invalid("siteId", $"no site '{body.SiteId}'");
        }
    }

    /// <summary>Checks a command request into <paramref name="v"/>; returns its valid parameters.</summary>
    private static Dictionary<string, string> ValidateCommand(QueueCommandRequest body, Validation v)
    {
        var forGroup = body.Group is not null;
        if (forGroup && body.DeviceId is not null)
            v.Add("group", "give either deviceId or group, not both");
        else if (forGroup)
            v.GroupName("group", body.Group);
        else
            v.RequiredText("deviceId", body.DeviceId);
        if (body.SiteId is not null)
            v.RequiredText("siteId", body.SiteId);
        v.RequiredText("type", body.Type, 64);
        if (body.Reason is { Length: > Validation.MaxText })
            v.Add("reason", $"may be at most {Validation.MaxText.ToString(System.Globalization.CultureInfo.InvariantCulture)} characters");
        v.Range("expiresInSeconds", body.ExpiresInSeconds, 1, MaxExpirySeconds, required: false);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var given = body.Parameters ?? new Dictionary<string, string?>(StringComparer.Ordinal);
        if (given.Count > 100)
            v.Add("parameters", "may hold at most 100 entries");
        foreach (var (key, value) in given)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length > Validation.MaxText)
                v.Add("parameters", "keys must be non-empty and at most 256 characters");
            else if (value is null || value.Length > 4096)
                v.Add($"parameters.{key}", "must be a string of at most 4096 characters");
            else
                parameters[key] = value;
        }

        return parameters;
    }

    private static async Task<IResult> ListDevicesAsync(string? site, HttpContext http, ISiteRegistry sites, IFleetReadStore fleet, CancellationToken ct)
    {
        var tenant = Tenant(http);
        if (site is not null && !await sites.SiteExistsAsync(tenant, site, ct))
            return Problems.NotFound($"no site '{site}'");
        return TypedResults.Json((await fleet.ListDevicesAsync(tenant, site, ct)).ToList(), ApiJson.Default.ListDeviceRecord);
    }
}
