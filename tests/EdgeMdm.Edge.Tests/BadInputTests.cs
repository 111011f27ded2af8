using System.Net.Http.Headers;
using System.Text;

namespace EdgeMdm.Edge.Tests;

/// <summary>Every malformed request gets RFC 9457 problem details naming what is wrong, and changes nothing.</summary>
public sealed class BadInputTests
{
    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<string[]> FieldErrorsAsync(HttpResponseMessage response)
    {
        var problem = await EnrollmentTests.ProblemAsync(response, HttpStatusCode.BadRequest);
        return problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToArray();
    }

    [Theory]
    [InlineData("""{"serial":"S","model":"M","manufacturer":"Z","osVersion":"14","agentVersion":"1"}""", "enrollmentToken")]
    [InlineData("""{"enrollmentToken":"test-pickers-token-0001","model":"M","manufacturer":"Z","osVersion":"14","agentVersion":"1"}""", "serial")]
    [InlineData("""{"enrollmentToken":"test-pickers-token-0001","serial":"   ","model":"M","manufacturer":"Z","osVersion":"14","agentVersion":"1"}""", "serial")]
    [InlineData("""{"enrollmentToken":"test-pickers-token-0001","serial":"S","manufacturer":"Z","osVersion":"14","agentVersion":"1"}""", "model")]
    [InlineData("""{"enrollmentToken":"test-pickers-token-0001","serial":42,"model":"M","manufacturer":"Z","osVersion":"14","agentVersion":"1"}""", "serial")]
    public async Task Enroll_with_a_missing_or_mistyped_field_names_it(string body, string field)
    {
        await using var server = await EdgeServer.StartAsync();

        var fields = await FieldErrorsAsync(await server.Http.PostAsync("/api/v1/enroll", Json(body)));

        Assert.Contains(field, fields);
        Assert.Empty(server.Get<IDeviceQueries>().ListDevices());
    }

    [Theory]
    [InlineData("""{"status":{"battery":{"level":"full"}}}""", "status.battery.level")]
    [InlineData("""{"status":{"battery":{"level":140}}}""", "status.battery.level")]
    [InlineData("""{"status":{"apps":[{"packageName":"com.x"}]}}""", "status.apps[0].versionCode")]
    [InlineData("""{"status":{"apps":[{"packageName":"com.x","versionCode":"abc"}]}}""", "status.apps[0].versionCode")]
    [InlineData("""{"status":{"os":{"securityPatch":"last tuesday"}}}""", "status.os.securityPatch")]
    [InlineData("""{"declarationsToken":17}""", "declarationsToken")]
    [InlineData("""{"status":{"battery":""", "status.battery")]
    [InlineData("""{"status":""", "status")]
    [InlineData("""not json at all""", "body")]
    [InlineData("""[1,2,3]""", "body")]
    [InlineData("""null""", "body")]
    public async Task Checkin_with_bad_json_names_the_field_and_writes_nothing(string body, string field)
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");

        var fields = await FieldErrorsAsync(await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Post, "/api/v1/checkin", device.DeviceSecret, Json(body))));

        Assert.Equal([field], fields);
        Assert.Equal(0, server.Get<IDeviceQueries>().ListDevices().Single().Checkins);
    }

    [Fact]
    public async Task Unknown_fields_are_ignored_for_forward_compatibility()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");

        using var response = await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Post, "/api/v1/checkin", device.DeviceSecret,
            Json("""{"status":{"battery":{"level":50,"temperatureC":31}},"futureField":{"a":1}}""")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Wrong_content_type_is_415()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");

        await EnrollmentTests.ProblemAsync(
            await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Post, "/api/v1/checkin", device.DeviceSecret, new StringContent("{}", Encoding.UTF8, "text/plain"))),
            HttpStatusCode.UnsupportedMediaType);
        await EnrollmentTests.ProblemAsync(
            await server.Http.PostAsync("/api/v1/enroll", new StringContent("serial=1", Encoding.UTF8, "application/x-www-form-urlencoded")),
            HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Body_over_64_KiB_is_413_with_or_without_a_content_length()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var huge = """{"status":{"wifi":{"ssid":""" + "\"" + new string('x', EdgeOptions.MaxRequestBodyBytes) + "\"}}}";

        await EnrollmentTests.ProblemAsync(
            await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Post, "/api/v1/checkin", device.DeviceSecret, Json(huge))),
            HttpStatusCode.RequestEntityTooLarge);
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = EdgeServer.Authorized(HttpMethod.Post, "/api/v1/checkin", device.DeviceSecret, chunked);
        request.Headers.TransferEncodingChunked = true;
        await EnrollmentTests.ProblemAsync(await server.Http.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, server.Get<IDeviceQueries>().ListDevices().Single().Checkins);
    }

    [Fact]
    public async Task OpenApi_document_describes_the_device_protocol()
    {
        await using var server = await EdgeServer.StartAsync();

        var document = await server.Http.GetStringAsync("/openapi/v1.json");

        foreach (var path in new[] { "/api/v1/enroll", "/api/v1/checkin", "/api/v1/declarations", "/api/v1/commands/{id}/result" })
            Assert.Contains($"\"{path}\"", document, StringComparison.Ordinal);
        Assert.Contains("EnrollRequest", document, StringComparison.Ordinal);
        Assert.Contains("CheckinResponse", document, StringComparison.Ordinal);
    }
}
