using System.Net;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Agent.Tests;

public sealed class DeviceApiClientTests : IAsyncLifetime
{
    private FakeAppliance _appliance = null!;
    private DeviceApiClient _client = null!;

    public async Task InitializeAsync()
    {
        _appliance = await FakeAppliance.StartAsync();
        _client = _appliance.CreateApiClient();
    }

    public Task DisposeAsync() => _appliance.DisposeAsync().AsTask();

    [Fact]
    public async Task Enroll_posts_json_without_credentials_and_returns_the_new_device()
    {
        var enrolled = await _client.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1", Model = "TC52" });

        Assert.Equal(new EnrollResponse("dev-S1", "secret-S1", 60, "site-1", "floor", false), enrolled);
        var request = Assert.Single(_appliance.Requests);
        Assert.Equal(("POST", "/api/v1/enroll", "application/json"), (request.Method, request.Path, request.ContentType));
        Assert.Null(request.Authorization);
        Assert.Equal("""{"enrollmentToken":"enroll-token","serial":"S1","model":"TC52"}""", request.Body);
    }

    [Fact]
    public async Task Checkin_sends_the_secret_as_bearer_and_the_status_as_json()
    {
        await _client.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1" });

        var answer = await _client.CheckinAsync("secret-S1", new CheckinRequest { DeclarationsToken = "t0", Status = new DeviceStatus { Wifi = new WifiStatus { Ssid = "WH-FLOOR", Rssi = -60 } } });

        Assert.Equal(_appliance.Declarations.Token, answer.DeclarationsToken);
        Assert.Empty(answer.Commands);
        var request = _appliance.Requests.Last();
        Assert.Equal("Bearer secret-S1", request.Authorization);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("""{"declarationsToken":"t0","status":{"wifi":{"ssid":"WH-FLOOR","rssi":-60}}}""", request.Body);
    }

    [Fact]
    public async Task Declarations_are_fetched_and_a_current_etag_gives_null()
    {
        await _client.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1" });
        _appliance.Declarations = TestData.FloorDeclarations();

        var fetched = await _client.GetDeclarationsAsync("secret-S1", ifNoneMatchToken: null);
        var again = await _client.GetDeclarationsAsync("secret-S1", fetched!.Token);

        Assert.Equal(_appliance.Declarations.Token, fetched.Token);
        Assert.Equal(2, fetched.Apps.Count);
        Assert.Null(again);
        var requests = _appliance.Requests.Where(r => r.Path is "/api/v1/declarations").ToList();
        Assert.Null(requests[0].IfNoneMatch);
        Assert.Equal("\"" + fetched.Token + "\"", requests[1].IfNoneMatch);
        Assert.Equal("Bearer secret-S1", requests[1].Authorization);
    }

    [Fact]
    public async Task Stale_etag_gives_the_new_document()
    {
        await _client.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1" });
        _appliance.Declarations = TestData.FloorDeclarations();

        var fetched = await _client.GetDeclarationsAsync("secret-S1", "old-token");

        Assert.Equal(_appliance.Declarations.Token, fetched?.Token);
    }

    [Fact]
    public async Task Command_result_is_posted_to_the_command_path()
    {
        await _client.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1" });
        var result = new CommandResultRequest { Status = "succeeded", Message = "screen locked", Timestamp = TestData.Start };

        await _client.ReportCommandResultAsync("secret-S1", "cmd 1", result);

        var request = _appliance.Requests.Last();
        Assert.Equal("/api/v1/commands/cmd%201/result", request.Path);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("""{"status":"succeeded","message":"screen locked","timestamp":"2025-06-02T06:00:00+00:00"}""", request.Body);
        Assert.Equal(("cmd 1", result), Assert.Single(_appliance.Results));
    }

    [Fact]
    public async Task Problem_details_become_a_DeviceApiException()
    {
        var error = await Assert.ThrowsAsync<DeviceApiException>(() =>
            _client.EnrollAsync(new EnrollRequest { EnrollmentToken = "wrong", Serial = "S1" }));

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("Enrollment token refused", error.Title);
        Assert.Equal("the token is unknown, expired or used up", error.Detail);
        Assert.Equal("https://edgemdm.dev/problems/403", error.ProblemType);
        Assert.True(error.IsPermanent);
        Assert.Equal("403 Enrollment token refused: the token is unknown, expired or used up", error.Message);
    }

    [Fact]
    public async Task Validation_problem_names_the_invalid_fields()
    {
        var error = await Assert.ThrowsAsync<DeviceApiException>(() =>
            _client.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token" }));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal(["The serial is required."], error.Errors["serial"]);
        Assert.EndsWith("(serial: The serial is required.)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_secret_is_401()
    {
        var error = await Assert.ThrowsAsync<DeviceApiException>(() =>
            _client.CheckinAsync("nope", new CheckinRequest()));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("unknown device secret", error.Detail);
    }

    [Fact]
    public async Task Error_without_problem_details_takes_the_reason_phrase()
    {
        var error = await Assert.ThrowsAsync<DeviceApiException>(() =>
            _client.CheckinAsync("secret-BROKEN-PROXY", new CheckinRequest()));

        Assert.Equal(HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Equal("Bad Gateway", error.Title);
        Assert.Null(error.Detail);
        Assert.False(error.IsPermanent);
    }

    [Fact]
    public async Task Unreachable_appliance_is_an_HttpRequestException()
    {
        using var http = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:1/") };

        await Assert.ThrowsAsync<HttpRequestException>(() =>
            new DeviceApiClient(http).EnrollAsync(new EnrollRequest()));
    }

    [Fact]
    public void Client_needs_a_base_address()
    {
        using var http = new HttpClient();

        Assert.Throws<ArgumentException>(() => new DeviceApiClient(http));
    }
}
