using EdgeMdm.Cloud.Api;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The hub's route table: every endpoint says who may call it. The refusing fallback policy keeps a forgotten one
/// closed at run time; these find it at test time, by name.
/// </summary>
public sealed class EndpointPolicyTests : HubPerTest
{
    [Fact]
    public void Every_endpoint_of_the_hub_rest_and_grpc_declares_a_policy_or_anonymous()
    {
        // Act
        var unprotected = EndpointPolicies.Unprotected(Hub.App);

        // Assert
        Assert.Empty(unprotected.Select(e => e.Description));
        Assert.Contains(Routes(Hub.App), e => e.RoutePattern.RawText?.StartsWith("/api/v1/", StringComparison.Ordinal) == true);
        Assert.Contains(Routes(Hub.App), e => e.RoutePattern.RawText?.StartsWith("/edgemdm.sync.", StringComparison.OrdinalIgnoreCase) == true);
    }

    [Fact]
    public void Only_sign_in_the_page_assets_and_the_probes_are_anonymous_outside_sync_api_calls_need_central_it_and_pages_the_console()
    {
        // Act
        var routes = Routes(Hub.App).ToList();
        var anonymous = routes.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null).ToList();
        var api = routes.Except(anonymous).Where(e => e.RoutePattern.RawText!.StartsWith("/api/v1/", StringComparison.Ordinal)).ToList();
        var pages = routes.Except(anonymous).Except(api).Where(e => !IsSync(e)).ToList();

        // Assert: the gRPC methods are the sync side's to declare (anonymous to ASP.NET Core today, as
        // SiteAuthInterceptor checks the site credential; the Site policy once sync has its own scheme), and the
        // first test holds them to declaring something.
        Assert.Equal(
            ["ANY /metrics", "ANY /readyz", "GET /assets/{name}", "GET /healthz", "GET /signin", "POST /api/v1/login", "POST /signin"],
            anonymous.Where(e => !IsSync(e)).Select(Describe).Order(StringComparer.Ordinal));
        Assert.NotEmpty(api);
        Assert.All(api, e => Assert.Contains(
            ApiTokenAuthentication.CentralItPolicy,
            e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy)));
        Assert.Contains(pages, e => string.Equals(e.RoutePattern.RawText, "/", StringComparison.Ordinal));
        Assert.All(pages, e => Assert.Contains(
            WebConsole.ConsoleAccess.Policy,
            e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy)));
    }

    [Fact]
    public async Task An_endpoint_mapped_without_a_policy_is_named_by_the_check_and_refused_at_run_time()
    {
        // Arrange: the hub as built, plus an endpoint that forgot to say who may call it
        await using var hub = await RunningHub.StartAsync(
            configure: null,
            map: app => app.MapGet("/api/v2/forgotten", () => "served"),
            settings: []);

        // Act
        var unprotected = EndpointPolicies.Unprotected(hub.App);
        using var call = await hub.Rest.GetAsync(new Uri("/api/v2/forgotten", UriKind.Relative));

        // Assert
        Assert.Equal(["GET /api/v2/forgotten"], unprotected.Select(e => e.Description));
        Assert.Equal(HttpStatusCode.Unauthorized, call.StatusCode); // with a valid API token, too
        Assert.Equal("application/problem+json", call.Content.Headers.ContentType?.MediaType);
        Assert.Empty(call.Headers.WwwAuthenticate); // no scheme is the default: none runs where no policy names it
    }

    private static IEnumerable<RouteEndpoint> Routes(IEndpointRouteBuilder app) =>
        app.DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>();

    private static bool IsSync(RouteEndpoint endpoint) =>
        endpoint.RoutePattern.RawText?.StartsWith("/edgemdm.sync.", StringComparison.OrdinalIgnoreCase) == true
        || endpoint.RoutePattern.RawText?.Contains("unimplemented", StringComparison.OrdinalIgnoreCase) == true;

    private static string Describe(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } methods
            ? $"{string.Join(',', methods)} {endpoint.RoutePattern.RawText}"
            : $"ANY {endpoint.RoutePattern.RawText}";
}
