using System.Net.Http.Headers;
using System.Text.Json;
using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Cloud.Api;
using EdgeMdm.Domain.Security;
using EdgeMdm.Testing;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The hub's authorization matrix, driven by its route table: every HTTP route the hub maps is in the table below
/// (a route that is not fails the first test) with what it needs; each is called with no credential, a wrong one, an
/// expired one, every role, a site operator for a site outside its scope and another tenant's token, and must refuse
/// all but what the table allows. Every gRPC method of <c>SiteSync</c>, from the service's descriptor, likewise.
/// </summary>
public sealed partial class AuthorizationMatrixTests : HubPerTest
{
    private const string OwnSite = "lyon";
    private const string OtherSite = "paris";
    private const string NoSuchSite = "atlantis";

    /// <summary>What a site operator may reach of a route its role otherwise allows.</summary>
    public enum SiteOperatorReach
    {
        /// <summary>Nothing: the route acts tenant-wide.</summary>
        Refused,

        /// <summary>The route's <c>{siteId}</c> (or its <c>site</c> query parameter) when it is one of its sites.</summary>
        NamedSite,

        /// <summary>The route narrows its answer to the caller's sites itself.</summary>
        Narrowed,
    }

    /// <summary>One route's rule: the action its role must allow and what a site operator reaches; <c>SiteInQuery</c>: the site is <c>?site=</c>.</summary>
    private sealed record Rule(HubAction Action, SiteOperatorReach SiteOperator, bool SiteInQuery = false);

    private static Rule Read(SiteOperatorReach reach = SiteOperatorReach.Refused) => new(HubAction.Read, reach);

    private static Rule Operate(SiteOperatorReach reach = SiteOperatorReach.Refused) => new(HubAction.Operate, reach);

    private static readonly Rule Administer = new(HubAction.Administer, SiteOperatorReach.Refused);

    private static readonly Rule Named = Read(SiteOperatorReach.NamedSite);

    private static readonly Rule NamedInQuery = new(HubAction.Read, SiteOperatorReach.NamedSite, SiteInQuery: true);

    /// <summary>The routes anyone may call: sign-in, the page assets, the probes.</summary>
    private static readonly string[] AnonymousRoutes =
        ["ANY /metrics", "ANY /readyz", "GET /assets/{name}", "GET /healthz", "GET /signin", "POST /api/v1/login", "POST /signin"];

    /// <summary>The REST API, with an API token: the permission table of issue 27 (docs/security.md).</summary>
    private static readonly Dictionary<string, Rule> ApiRoutes = new(StringComparer.Ordinal)
    {
        ["GET /api/v1/me"] = Read(SiteOperatorReach.Narrowed),
        ["GET /api/v1/sites"] = Read(SiteOperatorReach.Narrowed),
        ["POST /api/v1/sites"] = Operate(),
        ["PATCH /api/v1/sites/{siteId}"] = Operate(SiteOperatorReach.NamedSite),
        ["POST /api/v1/sites/{siteId}/tokens"] = Operate(SiteOperatorReach.NamedSite),
        ["GET /api/v1/sites/{siteId}/users"] = Named,
        ["POST /api/v1/sites/{siteId}/users"] = Administer,
        ["DELETE /api/v1/sites/{siteId}/users/{userName}"] = Administer,
        ["GET /api/v1/sites/{siteId}/staging"] = Named,
        ["GET /api/v1/sites/{siteId}/custody"] = Named,
        ["GET /api/v1/sites/{siteId}/custody/verify"] = Named,
        ["GET /api/v1/blueprints"] = Read(),
        ["PUT /api/v1/blueprints/{group}"] = Operate(),
        ["DELETE /api/v1/blueprints/{group}"] = Operate(),
        ["GET /api/v1/devices"] = NamedInQuery,
        ["GET /api/v1/devices/{device}"] = NamedInQuery,
        ["GET /api/v1/compliance"] = Read(),
        ["GET /api/v1/audit"] = NamedInQuery,
        ["GET /api/v1/audit/verify"] = NamedInQuery,
        ["POST /api/v1/commands"] = Operate(SiteOperatorReach.Narrowed),
        ["GET /api/v1/commands/{commandId}"] = Read(SiteOperatorReach.Narrowed),
        ["GET /api/v1/approvals"] = Read(SiteOperatorReach.Narrowed),
        ["POST /api/v1/approvals/{approvalId}/approve"] = Operate(SiteOperatorReach.Narrowed),
        ["POST /api/v1/accounts"] = Administer,
        ["GET /api/v1/accounts"] = Administer,
        ["PATCH /api/v1/accounts/{userName}"] = Administer,
        ["DELETE /api/v1/accounts/{userName}"] = Administer,
        ["GET /api/v1/signing-key"] = Read(SiteOperatorReach.Narrowed),
        ["POST /api/v1/packages"] = Operate(),
        ["GET /api/v1/packages"] = Read(),
        ["GET /api/v1/packages/{sha256}"] = Read(),
        ["GET /api/v1/rollouts"] = NamedInQuery,
        ["GET /api/v1/staging-plans"] = Read(),
        ["GET /api/v1/staging-plans/{name}"] = Read(),
        ["PUT /api/v1/staging-plans/{name}"] = Operate(),
        ["POST /api/v1/staging-plans/{name}/compare"] = Read(),
        ["DELETE /api/v1/staging-plans/{name}"] = Operate(),
    };

    /// <summary>The console, with a session: pages read, forms act.</summary>
    private static readonly Dictionary<string, Rule> ConsoleRoutes = new(StringComparer.Ordinal)
    {
        ["GET /"] = Read(SiteOperatorReach.Narrowed),
        ["POST /signout"] = Read(SiteOperatorReach.Narrowed),
        ["GET /devices"] = Read(),
        ["GET /commands"] = Read(),
        ["GET /approvals"] = Read(SiteOperatorReach.Narrowed),
        ["POST /approvals/{approvalId}/approve"] = Operate(SiteOperatorReach.Narrowed),
        ["GET /custody"] = Read(),
        ["GET /drift"] = Read(),
        ["GET /blueprints"] = Read(),
        ["POST /blueprints"] = Operate(),
        ["POST /blueprints/delete"] = Operate(),
        ["GET /packages"] = Read(),
        ["GET /rollouts"] = Read(),
        ["GET /sites/{siteId}"] = Named,
        ["POST /sites/{siteId}/tokens"] = Operate(SiteOperatorReach.NamedSite),
        ["GET /devices/{siteId}/{deviceId}"] = Named,
        ["POST /devices/{siteId}/{deviceId}/commands"] = Operate(SiteOperatorReach.NamedSite),
    };

    [Fact]
    public void Every_route_is_in_the_table_and_declares_the_permission_the_table_gives_it()
    {
        // Arrange
        var routes = Routes().Where(e => !IsSync(e)).ToList();

        // Act
        var described = routes.Select(Describe).Order(StringComparer.Ordinal).ToList();
        var declared = routes
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .ToDictionary(Describe, DeclaredAction, StringComparer.Ordinal);

        // Assert: a new route fails here until it is classified; a removed one until it leaves the table
        Assert.Equal(AnonymousRoutes.Concat(ApiRoutes.Keys).Concat(ConsoleRoutes.Keys).Order(StringComparer.Ordinal), described);
        Assert.Equal(AnonymousRoutes, routes.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(Describe).Order(StringComparer.Ordinal));
        Assert.All(ApiRoutes.Concat(ConsoleRoutes), rule => Assert.Equal((rule.Key, rule.Value.Action), (rule.Key, declared[rule.Key])));
    }

    [Fact]
    public async Task Every_api_route_refuses_what_the_table_does_not_allow_and_lets_through_what_it_does()
    {
        // Arrange
        var callers = await CallersAsync();
        List<string> wrong = [];

        // Act: every route, every caller
        foreach (var (route, rule) in ApiRoutes)
        {
            await ExpectAsync(wrong, route, null, rule, OwnSite, Expect.Unauthenticated);
            await ExpectAsync(wrong, route, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", rule, OwnSite, Expect.Unauthenticated);
            await ExpectAsync(wrong, route, callers.Expired, rule, OwnSite, Expect.Expired);
            foreach (var (role, token) in callers.ByRole)
            {
                var allowed = HubRoles.Allows(role, rule.Action);
                var scoped = HubRoles.IsSiteScoped(role);
                var expected = !allowed || (scoped && rule.SiteOperator == SiteOperatorReach.Refused) ? Expect.Forbidden : Expect.Through;
                await ExpectAsync(wrong, route, token, rule, OwnSite, expected);
                if (scoped && allowed && rule.SiteOperator == SiteOperatorReach.NamedSite)
                    await ExpectSameAsMissingSiteAsync(wrong, route, token, rule);
            }

            // Another tenant's token: a site of this tenant is answered as one that does not exist.
            if (route.Contains("{siteId}", StringComparison.Ordinal) || rule.SiteInQuery)
                await ExpectSameAsMissingSiteAsync(wrong, route, callers.OtherTenant, rule);
        }

        // Assert: every mismatch named at once
        Assert.Empty(wrong);
    }

    [Fact]
    public async Task Every_console_page_and_form_refuses_what_the_table_does_not_allow()
    {
        // Arrange
        await Hub.AddSiteAsync("Lyon");
        await Hub.AddSiteAsync("Paris");
        using var anonymous = ConsoleSession.Browser(Hub);
        var sessions = new Dictionary<string, FormBrowser>(StringComparer.Ordinal)
        {
            [HubRoles.Viewer] = await ConsoleSession.SignedInAsync(Hub, "vera", grant: new HubGrant(HubRoles.Viewer, [])),
            [HubRoles.Operator] = await ConsoleSession.SignedInAsync(Hub, "otto", grant: new HubGrant(HubRoles.Operator, [])),
            [HubRoles.SiteOperator] = await ConsoleSession.SignedInAsync(Hub, "sara", grant: new HubGrant(HubRoles.SiteOperator, [OwnSite])),
        };
        List<string> wrong = [];

        // Act
        foreach (var (route, rule) in ConsoleRoutes.Where(r => !string.Equals(r.Key, "POST /signout", StringComparison.Ordinal)))
        {
            using (var none = await SendAsync(anonymous, route, OwnSite))
            {
                if (none.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.Unauthorized))
                    wrong.Add($"{route} without a session: {(int)none.StatusCode}");
            }

            foreach (var (role, browser) in sessions)
            {
                var refused = !HubRoles.Allows(role, rule.Action) || (HubRoles.IsSiteScoped(role) && rule.SiteOperator == SiteOperatorReach.Refused);
                using var own = await SendAsync(browser, route, OwnSite);
                if (refused != await IsRefusedAsync(own))
                    wrong.Add($"{route} as {role}: {(int)own.StatusCode}, expected {(refused ? "refused" : "let through")}");
                if (!refused && HubRoles.IsSiteScoped(role) && rule.SiteOperator == SiteOperatorReach.NamedSite)
                {
                    using var other = await SendAsync(browser, route, OtherSite);
                    if (other.StatusCode != HttpStatusCode.NotFound)
                        wrong.Add($"{route} as {role} for another site: {(int)other.StatusCode}, expected 404");
                }
            }
        }

        // Assert
        Assert.Empty(wrong);
        foreach (var browser in sessions.Values)
            browser.Dispose();
    }

    // ---- the callers -------------------------------------------------------------------------------------

    private sealed record Callers(IReadOnlyDictionary<string, string> ByRole, string Expired, string OtherTenant);

    /// <summary>Two sites of the default tenant, a token per role (the site operator's for <see cref="OwnSite"/>), an expired one, another tenant's.</summary>
    private async Task<Callers> CallersAsync()
    {
        await Hub.AddSiteAsync("Lyon");
        await Hub.AddSiteAsync("Paris");
        var tokens = Hub.Store.AdminTokens;
        var byRole = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [HubRoles.TenantAdmin] = Hub.Rest.DefaultRequestHeaders.Authorization!.Parameter!,
            [HubRoles.Operator] = await tokens.CreateApiTokenAsync(TenantIds.Default, "ops", new HubGrant(HubRoles.Operator, [])),
            [HubRoles.Viewer] = await tokens.CreateApiTokenAsync(TenantIds.Default, "wall", new HubGrant(HubRoles.Viewer, [])),
            [HubRoles.SiteOperator] = await tokens.CreateApiTokenAsync(TenantIds.Default, "lyon-ops", new HubGrant(HubRoles.SiteOperator, [OwnSite])),
        };
        await Hub.Store.Accounts.AddAccountAsync(TenantIds.Default, "gone", PasswordHash.Create("a long password", 1_000));
        var expired = await Hub.Store.Accounts.IssueAccountTokenAsync(TenantIds.Default, "gone", DateTimeOffset.UtcNow.AddMinutes(-1));
        var globex = await Hub.Store.Tenants.AddTenantAsync("Globex");
        return new Callers(byRole, expired, await tokens.CreateApiTokenAsync(globex.TenantId, "globex"));
    }

    // ---- calling a route ---------------------------------------------------------------------------------

    private enum Expect
    {
        Unauthenticated,
        Expired,
        Forbidden,
        Through,
    }

    private async Task ExpectAsync(List<string> wrong, string route, string? token, Rule rule, string site, Expect expected)
    {
        using var response = await CallAsync(route, token, rule, site);
        var (status, title) = ((int)response.StatusCode, await TitleAsync(response));
        var ok = expected switch
        {
            Expect.Unauthenticated => status == 401 && title is "Unauthorized",
            Expect.Expired => status == 401 && title is ApiTokenAuthentication.ExpiredTitle,
            Expect.Forbidden => status == 403 && title is "Forbidden",
            _ => !await IsRefusedAsync(response),
        };
        if (!ok)
            wrong.Add($"{route} expected {expected}, got {status} '{title}'");
    }

    /// <summary>A site the caller may not reach answers exactly as a site that does not exist: status and body, but for the site's id.</summary>
    private async Task ExpectSameAsMissingSiteAsync(List<string> wrong, string route, string token, Rule rule)
    {
        using var other = await CallAsync(route, token, rule, OtherSite);
        using var missing = await CallAsync(route, token, rule, NoSuchSite);
        var (otherBody, missingBody) = (await other.Content.ReadAsStringAsync(), await missing.Content.ReadAsStringAsync());
        if (other.StatusCode != missing.StatusCode || (int)other.StatusCode < 400
            || !string.Equals(Normalized(otherBody, OtherSite), Normalized(missingBody, NoSuchSite), StringComparison.Ordinal))
            wrong.Add($"{route} for a site out of reach: {(int)other.StatusCode} {otherBody} but for a missing one {(int)missing.StatusCode} {missingBody}");
    }

    /// <summary>The call on a client of its own, so no default credential rides along; the answer is read in full before it is closed.</summary>
    private async Task<HttpResponseMessage> CallAsync(string route, string? token, Rule rule, string site)
    {
        using var request = Request(route, site, rule.SiteInQuery);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var client = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        return await client.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> SendAsync(FormBrowser browser, string route, string site)
    {
        // A form's content type, so routing chooses the endpoint and authorization is what answers.
        using var template = Request(route, site, siteInQuery: false);
        return await browser.GetAsync(template.RequestUri!.ToString(), request =>
        {
            request.Method = template.Method;
            if (template.Method == HttpMethod.Post)
                request.Content = new FormUrlEncodedContent([]);
        });
    }

    /// <summary>The route with its parameters filled in; writes carry an empty JSON object, which no route takes as complete.</summary>
    private static HttpRequestMessage Request(string route, string site, bool siteInQuery)
    {
        var space = route.IndexOf(' ', StringComparison.Ordinal);
        var method = new HttpMethod(route[..space]);
        var path = RouteParameter().Replace(route[(space + 1)..], match => match.Groups["name"].Value switch
        {
            "siteId" => site,
            "sha256" => new string('0', 64),
            "userName" => "nobody",
            _ => "nothing-" + match.Groups["name"].Value,
        });
        if (siteInQuery)
            path += "?site=" + site;
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (method != HttpMethod.Get && method != HttpMethod.Delete)
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        return request;
    }

    /// <summary>Refused by authorization: 401, 403 with the authorization's title, or the hub's "no site" for a site out of reach.</summary>
    private static async Task<bool> IsRefusedAsync(HttpResponseMessage response) => response.StatusCode switch
    {
        HttpStatusCode.Unauthorized => true,
        HttpStatusCode.Forbidden => await TitleAsync(response) is "Forbidden",
        _ => false,
    };

    private static async Task<string?> TitleAsync(HttpResponseMessage response)
    {
        if (response.Content.Headers.ContentType?.MediaType is not "application/problem+json")
            return null;
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.TryGetProperty("title", out var title) ? title.GetString() : null;
    }

    /// <summary>The body without what differs per request (the problem's trace id) and with the site's id as "SITE".</summary>
    private static string Normalized(string body, string site)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject problem)
            {
                problem.Remove("traceId");
                body = problem.ToJsonString();
            }
        }
        catch (JsonException)
        {
            // Not JSON: compared as it is.
        }

        return body.Replace(site, "SITE", StringComparison.Ordinal);
    }

    // ---- the route table ---------------------------------------------------------------------------------

    private IEnumerable<RouteEndpoint> Routes() => ((IEndpointRouteBuilder)Hub.App).DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>();

    private static bool IsSync(RouteEndpoint endpoint) =>
        endpoint.RoutePattern.RawText?.StartsWith("/edgemdm.sync.", StringComparison.OrdinalIgnoreCase) == true
        || endpoint.RoutePattern.RawText?.Contains("unimplemented", StringComparison.OrdinalIgnoreCase) == true;

    private static string Describe(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods
            ? $"{string.Join(',', methods)} {endpoint.RoutePattern.RawText}"
            : $"ANY {endpoint.RoutePattern.RawText}";

    /// <summary>The one action the endpoint's hub policies demand (the strongest, when a route adds one to its group's).</summary>
    private static HubAction? DeclaredAction(RouteEndpoint endpoint) => endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>()
        .Select(a => a.Policy is { } policy && HubAuthorization.Policies.TryGetValue(policy, out var action) ? action : (HubAction?)null)
        .Where(a => a is not null)
        .Max();

    [System.Text.RegularExpressions.GeneratedRegex("{(?<name>[A-Za-z0-9]+)}", System.Text.RegularExpressions.RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial System.Text.RegularExpressions.Regex RouteParameter();
}

