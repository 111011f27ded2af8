using System.Net;

namespace EdgeMdm.Agent.Tests;

public sealed class DeviceApiClientTests : FakeApplianceTests
{
    [Fact]
    public async Task Enroll_posts_json_without_credentials_and_returns_the_new_device()
    {
        var enrolled = await Api.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1", Model = "TC52" });

        Assert.Equal(new EnrollResponse("dev-S1", "secret-S1", 60, "site-1", "floor", false), enrolled);
        var request = Assert.Single(Appliance.Requests);
        Assert.Equal(("POST", "/api/v1/enroll", "application/json"), (request.Method, request.Path, request.ContentType));
        Assert.Null(request.Authorization);
        Assert.Equal("""{"enrollmentToken":"enroll-token","serial":"S1","model":"TC52"}""", request.Body);
    }

    [Fact]
    public async Task Checkin_sends_the_secret_as_bearer_and_the_status_as_json()
    {
        await Api.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1" });

        var answer = await Api.CheckinAsync("secret-S1", new CheckinRequest { DeclarationsToken = "t0", Status = new DeviceStatus { Wifi = new WifiStatus { Ssid = "WH-FLOOR", Rssi = -60 } } });

        Assert.Equal(Appliance.Declarations.Token, answer.DeclarationsToken);
        Assert.Empty(answer.Commands);
        var request = Appliance.Requests.Last();
        Assert.Equal("Bearer secret-S1", request.Authorization);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("""{"declarationsToken":"t0","status":{"wifi":{"ssid":"WH-FLOOR","rssi":-60}}}""", request.Body);
    }

    [Fact]
    public async Task Declarations_are_fetched_and_a_current_etag_gives_null()
    {
        await Api.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1" });
        Appliance.Declarations = TestData.FloorDeclarations();

        var fetched = await Api.GetDeclarationsAsync("secret-S1", ifNoneMatchToken: null);
        var again = await Api.GetDeclarationsAsync("secret-S1", fetched!.Token);

        Assert.Equal(Appliance.Declarations.Token, fetched.Token);
        Assert.Equal(2, fetched.Apps.Count);
        Assert.Null(again);
        var requests = Appliance.Requests.Where(r => r.Path is "/api/v1/declarations").ToList();
        Assert.Null(requests[0].IfNoneMatch);
        Assert.Equal("\"" + fetched.Token + "\"", requests[1].IfNoneMatch);
        Assert.Equal("Bearer secret-S1", requests[1].Authorization);
    }

    [Fact]
    public async Task Stale_etag_gives_the_new_document()
    {
        await Api.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1" });
        Appliance.Declarations = TestData.FloorDeclarations();

        var fetched = await Api.GetDeclarationsAsync("secret-S1", "old-token");

        Assert.Equal(Appliance.Declarations.Token, fetched?.Token);
    }

    [Fact]
    public async Task Command_result_is_posted_to_the_command_path()
    {
        await Api.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token", Serial = "S1" });
        var result = new CommandResultRequest { Status = "succeeded", Message = "screen locked", Timestamp = TestData.Start };

        await Api.ReportCommandResultAsync("secret-S1", "cmd 1", result);

        var request = Appliance.Requests.Last();
        Assert.Equal("/api/v1/commands/cmd%201/result", request.Path);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("""{"status":"succeeded","message":"screen locked","timestamp":"2025-06-02T06:00:00+00:00"}""", request.Body);
        Assert.Equal(("cmd 1", result), Assert.Single(Appliance.Results));
    }

    [Fact]
    public async Task Problem_details_become_a_DeviceApiException()
    {
        var error = await Assert.ThrowsAsync<DeviceApiException>(() =>
            Api.EnrollAsync(new EnrollRequest { EnrollmentToken = "wrong", Serial = "S1" }));

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
            Api.EnrollAsync(new EnrollRequest { EnrollmentToken = "enroll-token" }));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal(["The serial is required."], error.Errors["serial"]);
        Assert.EndsWith("(serial: The serial is required.)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nope", HttpStatusCode.Unauthorized, "Unauthorized", "unknown device secret", true)]
    [InlineData("secret-BROKEN-PROXY", HttpStatusCode.BadGateway, "Bad Gateway", null, false)] // no problem details: the reason phrase
    public async Task Refused_checkin_is_a_DeviceApiException(string secret, HttpStatusCode status, string title, string? detail, bool permanent)
    {
        var error = await Assert.ThrowsAsync<DeviceApiException>(() =>
            Api.CheckinAsync(secret, new CheckinRequest()));

        Assert.Equal((status, title, detail, permanent), (error.StatusCode, error.Title, error.Detail, error.IsPermanent));
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
