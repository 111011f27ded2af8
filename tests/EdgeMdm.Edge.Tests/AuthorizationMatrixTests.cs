using System.Net.Http.Headers;
using System.Text;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Every route the appliance maps (its <see cref="EndpointDataSource"/>s), called with every kind of caller: nobody, a
/// wrong bearer or basic credential, a device, the local operator token, site users of each role by basic
/// authentication and by a signed-in page session. Each route is classified below; every caller outside its class is
/// refused, every caller inside it gets past authorization. A route added without a class fails the test.
/// </summary>
public sealed class AuthorizationMatrixTests : IAsyncLifetime
{
    /// <summary>Who a route is for.</summary>
    public enum Access
    {
        /// <summary>The explicit allow-list: anyone, with or without a credential.</summary>
        Anyone,
        Device,
        SiteOperator,
        PageView,
        PageAct,
    }

    /// <summary>
    /// The classification: "METHOD pattern" as routing describes it. A new route goes here, with the reason it is open
    /// when it is <see cref="Access.Anyone"/>.
    /// </summary>
    private static readonly Dictionary<string, Access> Routes = new(StringComparer.Ordinal)
    {
        // Open on purpose: probes, the API description, the page's static assets, the sign-in form, enrollment (its
        // token is the credential) and the agent package a factory-fresh device installs before it has a secret.
        ["GET /healthz"] = Access.Anyone,
        ["ANY /readyz"] = Access.Anyone,
        ["ANY /metrics"] = Access.Anyone,
        ["GET /openapi/{documentName}.json"] = Access.Anyone,
        ["GET /assets/{name}"] = Access.Anyone,
        ["GET /signin"] = Access.Anyone,
        ["POST /signin"] = Access.Anyone,
        ["POST /api/v1/enroll"] = Access.Anyone,
        ["GET,HEAD /api/v1/staging/agent-package/{sha256}"] = Access.Anyone,

        ["POST /api/v1/checkin"] = Access.Device,
        ["GET /api/v1/declarations"] = Access.Device,
        ["POST /api/v1/commands/{id}/result"] = Access.Device,
        ["GET,HEAD /api/v1/packages/{sha256}"] = Access.Device,
        ["GET /api/v1/staging/plan"] = Access.Device,

        ["GET /api/v1/readiness"] = Access.SiteOperator,
        ["GET /api/v1/missing"] = Access.SiteOperator,
        ["GET /api/v1/batteries"] = Access.SiteOperator,
        ["GET /api/v1/cradles"] = Access.SiteOperator,
        ["POST /api/v1/custody"] = Access.SiteOperator,
        ["GET /api/v1/devices/{id}/custody"] = Access.SiteOperator,
        ["GET /api/v1/spares"] = Access.SiteOperator,
        ["GET /api/v1/swaps"] = Access.SiteOperator,
        ["GET /api/v1/swaps/{id}"] = Access.SiteOperator,
        ["POST /api/v1/swaps"] = Access.SiteOperator,
        ["POST /api/v1/swaps/{id}/confirm"] = Access.SiteOperator,
        ["POST /api/v1/swaps/{id}/cancel"] = Access.SiteOperator,

        ["GET /"] = Access.PageView,
        ["GET /events"] = Access.PageView,
        ["GET /floor"] = Access.PageView,
        ["GET /alerts"] = Access.PageView,
        ["GET /approvals/"] = Access.PageView,
        ["GET /devices/"] = Access.PageView,
        ["GET /devices/{id}"] = Access.PageView,
        ["GET /staging/"] = Access.PageView,
        ["GET /staging/batches/{id}"] = Access.PageView,
        ["GET /staging/batches/{id}/sheet"] = Access.PageView,
        ["GET /rollouts"] = Access.PageView,
        ["POST /signout"] = Access.PageView,
        ["POST /floor/pick"] = Access.PageAct,
        ["POST /alerts/ack"] = Access.PageAct,
        ["POST /approvals/approve"] = Access.PageAct,
        ["POST /devices/{id}/actions"] = Access.PageAct,
    };

    private const string Password = "floor password 1";
    private static readonly string Hash = PasswordHash.Create(Password, 1_000);

    private EdgeServer _server = null!;
    private readonly List<Caller> _callers = [];
    private readonly List<IDisposable> _browsers = [];
    private EnrollResponse _deviceA = null!;
    private EnrollResponse _deviceB = null!;

    /// <summary>A kind of caller and how it presents itself on a request.</summary>
    /// <param name="Send">Sends a request and returns at its headers (<c>/events</c> streams for as long as it may).</param>
    private sealed record Caller(string Name, Func<HttpRequestMessage, Task<HttpResponseMessage>> Send, Action<HttpRequestMessage> Present, IReadOnlySet<Access> Allowed);

    public async Task InitializeAsync()
    {
        _server = await EdgeServer.StartAsync("--Edge:Limits:EnrollmentsPerSecondPerAddress", "0");
        _deviceA = await _server.EnrollAsync("AUTHZ-A");
        _deviceB = await _server.EnrollAsync("AUTHZ-B");
        await HubCatalog.ApplyAsync(_server, User(1, "vic", SiteUserRoles.Viewer), User(2, "tess", SiteUserRoles.Technician), User(3, "sam", SiteUserRoles.Supervisor));
        var operatorToken = SiteOperatorAuthentication.ReadToken(_server.DataDir)!;

        AddHeaderCaller("nobody", _ => { }, []);
        AddHeaderCaller("a wrong bearer", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "ds_not-a-secret"), []);
        AddHeaderCaller("a wrong password", r => r.Headers.Authorization = Basic("sam", "not the password"), []);
        AddHeaderCaller("device A", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _deviceA.DeviceSecret), [Access.Device]);
        AddHeaderCaller("the operator token", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", operatorToken), [Access.SiteOperator]);
        AddHeaderCaller("a viewer by basic", r => r.Headers.Authorization = Basic("vic", Password), []);
        AddHeaderCaller("a technician by basic", r => r.Headers.Authorization = Basic("tess", Password), [Access.SiteOperator]);
        AddHeaderCaller("a supervisor by basic", r => r.Headers.Authorization = Basic("sam", Password), [Access.SiteOperator]);
        await AddSessionCallerAsync("a viewer's session", "vic", [Access.PageView]);
        await AddSessionCallerAsync("a technician's session", "tess", [Access.PageView, Access.PageAct]);
    }

    public async Task DisposeAsync()
    {
        foreach (var browser in _browsers)
            browser.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Every_route_refuses_every_caller_outside_its_class_and_lets_those_inside_past_authorization()
    {
        // Signing out last: it ends the sessions the page routes are called with.
        var routes = ((IEndpointRouteBuilder)_server.App).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .OrderBy(route => string.Equals(Describe(route), "POST /signout", StringComparison.Ordinal))
            .ToList();
        var unclassified = routes.Select(Describe).Where(d => !Routes.ContainsKey(d)).ToList();
        Assert.True(unclassified.Count == 0, "routes without a class in AuthorizationMatrixTests.Routes: " + string.Join(", ", unclassified));
        Assert.Empty(Routes.Keys.Except(routes.Select(Describe), StringComparer.Ordinal));

        var wrong = new List<string>();
        foreach (var route in routes)
        {
            var access = Routes[Describe(route)];
            var method = new HttpMethod(Methods(route) is { Count: > 0 } methods ? methods[0] : "GET");
            var path = Path(route);
            foreach (var caller in _callers)
            {
                using var request = new HttpRequestMessage(method, path) { Content = Body(method, path) };
                // From the appliance's own origin, so a form's same-origin check is not what refuses it.
                request.Headers.Add("Origin", _server.BaseAddress.GetLeftPart(UriPartial.Authority));
                caller.Present(request);
                using var response = await caller.Send(request);
                var refused = Refused(response, path);
                var expected = access == Access.Anyone ? (bool?)null : !caller.Allowed.Contains(access);
                if (expected is { } mustRefuse && mustRefuse != refused)
                    wrong.Add($"{method} {path} by {caller.Name}: {(int)response.StatusCode} ({(mustRefuse ? "should be refused" : "should get past authorization")})");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task A_device_reporting_on_another_devices_command_gets_the_answer_of_a_command_that_does_not_exist()
    {
        var commandOfB = await _server.QueueCommandAsync(_deviceB.DeviceId, "ring");

        using var othersCommand = await ReportAsync(_deviceA.DeviceSecret, commandOfB.CommandId);
        using var noSuchCommand = await ReportAsync(_deviceA.DeviceSecret, "cmd-does-not-exist");

        Assert.Equal(HttpStatusCode.NotFound, othersCommand.StatusCode);
        Assert.Equal(noSuchCommand.StatusCode, othersCommand.StatusCode);
        Assert.Equal(Shape(await noSuchCommand.Content.ReadAsStringAsync(), "cmd-does-not-exist"), Shape(await othersCommand.Content.ReadAsStringAsync(), commandOfB.CommandId));
        Assert.Equal("queued", _server.StatusOfOnlyCommand(_deviceB.DeviceId));
    }

    [Fact]
    public async Task A_technician_cannot_wipe_and_a_viewer_cannot_act_even_with_a_hand_made_form()
    {
        using var technician = await SignedInAsync("tess");
        using var viewer = await SignedInAsync("vic");
        var page = $"/devices/{_deviceB.DeviceId}";
        KeyValuePair<string, string>[] wipe = [new("action", "wipe"), new("reason", "lost")];

        using var technicianWipe = await technician.PostFormAsync(page, page + "/actions", wipe);
        using var viewerRing = await viewer.PostFormAsync(page, page + "/actions", [new("action", "ring"), new("reason", "find it")]);

        Assert.Equal(HttpStatusCode.Forbidden, technicianWipe.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, viewerRing.StatusCode);
        Assert.Empty(_server.Get<ICommandStore>().ListCommands(_deviceB.DeviceId));
    }

    /// <summary>An empty body of the kind the route reads (JSON on the API, a form on the pages), so routing does not answer 415 first.</summary>
    private static HttpContent? Body(HttpMethod method, string path) =>
        method == HttpMethod.Get || method == HttpMethod.Head ? null
        : path.StartsWith("/api/", StringComparison.Ordinal) ? new StringContent("{}", Encoding.UTF8, "application/json")
        : new FormUrlEncodedContent([]);

    private Task<HttpResponseMessage> ReportAsync(string secret, string commandId) =>
        _server.Http.SendAsync(EdgeServer.Authorized(
            HttpMethod.Post, $"/api/v1/commands/{commandId}/result", secret, new StringContent("""{"status":"succeeded","message":"done"}""", Encoding.UTF8, "application/json")));

    /// <summary>
    /// A problem body with the asked-for id and the request's trace id taken out: what must be the same whether the
    /// object exists or not.
    /// </summary>
    private static string Shape(string body, string id)
    {
        var problem = System.Text.Json.Nodes.JsonNode.Parse(body.Replace(id, "{id}", StringComparison.Ordinal))!.AsObject();
        problem.Remove("traceId");
        return problem.ToJsonString();
    }

    /// <summary>
    /// Refused: 401 or 403 (on the API with a problem body), or for a page the sign-in challenge: a redirect to the form
    /// that says where to return (signing out also ends at the form, but with no way back).
    /// </summary>
    private static bool Refused(HttpResponseMessage response, string path)
    {
        if (response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.Found)
            return response.Headers.Location?.OriginalString is { } location
                && location.StartsWith("/signin?", StringComparison.Ordinal) && location.Contains("returnUrl=", StringComparison.Ordinal);
        if (response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden))
            return false;
        if (path.StartsWith("/api/", StringComparison.Ordinal))
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return true;
    }

    /// <summary>A path routing sends to <paramref name="route"/>; an id names device B's record (the caller is device A or nobody's).</summary>
    private string Path(RouteEndpoint route)
    {
        var path = "/" + route.RoutePattern.RawText!.TrimStart('/');
        return path.Replace("{documentName}", "v1", StringComparison.Ordinal)
            .Replace("{name}", "page.css", StringComparison.Ordinal)
            .Replace("{sha256}", new string('a', 64), StringComparison.Ordinal)
            .Replace("{id}", _deviceB.DeviceId, StringComparison.Ordinal);
    }

    private static IReadOnlyList<string> Methods(RouteEndpoint route) => route.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];

    /// <summary>"METHODS /pattern", as <see cref="Routes"/> names a route; ANY for a route that takes every method.</summary>
    private static string Describe(RouteEndpoint route) =>
        $"{(Methods(route) is { Count: > 0 } methods ? string.Join(',', methods) : "ANY")} /{route.RoutePattern.RawText?.TrimStart('/')}";

    private void AddHeaderCaller(string name, Action<HttpRequestMessage> present, Access[] allowed)
    {
        // No redirects followed: a page's answer to a caller without a session is the redirect itself.
        var client = _server.CreateClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        _browsers.Add(client);
        _callers.Add(new Caller(name, request => client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead), present, allowed.ToHashSet()));
    }

    private async Task AddSessionCallerAsync(string name, string user, Access[] allowed)
    {
        var browser = await SignedInAsync(user);
        _browsers.Add(browser);
        _callers.Add(new Caller(name, browser.SendStreamingAsync, _ => { }, allowed.ToHashSet()));
    }

    private async Task<FormBrowser> SignedInAsync(string user)
    {
        var browser = new FormBrowser(_server.CreateClient);
        using var signedIn = await browser.SignInAsync(user, Password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return browser;
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private static HubChange User(ulong position, string name, string role) => new()
    {
        Position = position,
        SiteUserUpserted = new SiteUserUpserted { UserName = name, Role = role, PasswordHash = Hash },
    };
}
