using System.Text.Json;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Edge.Tests;

/// <summary>The appliance on the shared building blocks: who may call what, readiness, limits, hostile bodies.</summary>
public sealed class ServiceDefaultsTests
{
    [Fact]
    public async Task Every_mapped_endpoint_declares_who_may_call_it()
    {
        await using var server = await EdgeServer.StartAsync("--mqtt-listen", "127.0.0.1:0");
        var endpoints = ((IEndpointRouteBuilder)server.App).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().ToList();

        var unprotected = EndpointPolicies.Unprotected(server.App);

        Assert.Empty(unprotected);
        // Guards the guard: the table holds the device API, the probes and the OpenAPI document.
        Assert.Contains(endpoints, e => string.Equals(e.RoutePattern.RawText, "/api/v1/checkin", StringComparison.Ordinal));
        Assert.Contains(endpoints, e => string.Equals(e.RoutePattern.RawText, "/readyz", StringComparison.Ordinal));
        Assert.True(endpoints.Count >= 9, $"only {endpoints.Count} endpoints found");
    }

    [Fact]
    public async Task Ready_while_storage_is_whole_and_unready_with_the_reason_once_the_database_file_is_gone()
    {
        await using var server = await EdgeServer.StartAsync();
        var ready = await server.Http.GetAsync("/readyz");

        File.Delete(EdgeDatabase.PathIn(server.DataDir));
        var gone = await ReadinessAsync(server);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, gone.Status);
        Assert.Contains("is gone", gone.Checks["database"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unready_when_the_database_file_is_read_only()
    {
        await using var server = await EdgeServer.StartAsync();
        var file = EdgeDatabase.PathIn(server.DataDir);

        File.SetAttributes(file, FileAttributes.ReadOnly);
        var readOnly = await ReadinessAsync(server);
        File.SetAttributes(file, FileAttributes.Normal);
        var writable = await server.Http.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, readOnly.Status);
        Assert.Contains("read-only", readOnly.Checks["database"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, writable.StatusCode);
    }

    [Fact]
    public async Task Unready_when_free_space_is_below_the_floor()
    {
        // A floor no disk here can meet: the check reads the real free space of the data directory's file system.
        await using var server = await EdgeServer.StartAsync("--Edge:StorageFloorBytes", (1L << 50).ToString(System.Globalization.CultureInfo.InvariantCulture));

        var readiness = await ReadinessAsync(server);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, readiness.Status);
        Assert.Contains("below the", readiness.Checks["disk"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Enrollments_past_an_address_s_burst_get_429_with_retry_after()
    {
        // One a second with twenty seconds' worth at once. The bucket refills on the real clock, one a second, so on a
        // slow machine a few more may pass before the first refusal: as many as whole seconds went by, no more.
        await using var server = await EdgeServer.StartAsync("--Edge:Limits:EnrollmentsPerSecondPerAddress", "1");

        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        var accepted = 0;
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 60 && refused is null; i++)
        {
            var response = await server.Http.PostAsJsonAsync("/api/v1/enroll", EdgeServer.Enrollment($"SN-{i}"), DeviceProtocolJson.Default.EnrollRequest);
            if (response.StatusCode == HttpStatusCode.Created)
                accepted++;
            else
                refused = response;
        }

        Assert.NotNull(refused);
        Assert.InRange(accepted, 20, 20 + (int)Math.Ceiling(elapsed.Elapsed.TotalSeconds));
        await EnrollmentTests.ProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.NotNull(refused.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_device_past_its_check_in_burst_gets_429_and_another_device_is_still_served()
    {
        await using var server = await EdgeServer.StartAsync("--Edge:Limits:CheckinsPerSecondPerDevice", "1");
        var looping = await server.EnrollAsync("SN-LOOP");
        var quiet = await server.EnrollAsync("SN-QUIET");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 7; i++)
        {
            using var response = await server.CheckinAsync(looping.DeviceSecret, new CheckinRequest());
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses.Take(6), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[6]);
        await server.CheckinOkAsync(quiet.DeviceSecret, new CheckinRequest());
    }

    /// <summary>The device endpoints that take a JSON body, and whether they want the device's credential.</summary>
    public static TheoryData<string, bool> BodyEndpoints => new()
    {
        { "/api/v1/enroll", false },
        { "/api/v1/checkin", true },
        { "/api/v1/commands/cmd-1/result", true },
    };

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_malformed_chunked_body_is_400_and_a_warning_without_a_stack(string path, bool authorized)
    {
        await using var server = await EdgeServer.StartAsync();
        var secret = (await server.EnrollAsync("SN-1")).DeviceSecret;

        var answer = await SendRawAsync(server, $"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{Bearer(authorized, secret)}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n", null);

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
        AssertNoStackTrace(server);
    }

    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task A_body_that_trickles_in_is_408_and_a_warning_without_a_stack(string path, bool authorized)
    {
        await using var server = await EdgeServer.StartAsync();
        var secret = (await server.EnrollAsync("SN-1")).DeviceSecret;

        // Kestrel's floor is 240 bytes a second after a 5 s grace: one byte every 2 s falls below it.
        var answer = await SendRawAsync(server, $"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{Bearer(authorized, secret)}Content-Length: 100\r\nConnection: close\r\n\r\n", trickle: true);

        Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal);
        AssertNoStackTrace(server);
        Assert.Contains(server.Logs.Entries, e => e.Level == LogLevel.Warning && e.EventId.Id == 9000);
    }

    private static string Bearer(bool authorized, string secret) => authorized ? $"Authorization: Bearer {secret}\r\n" : "";

    private static async Task<string> SendRawAsync(EdgeServer server, string head, bool? trickle)
    {
        await using var raw = await RawHttp.ConnectAsync(server.BaseAddress, server.Pin);
        await raw.SendAsync(head);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = raw.ReadToEndAsync(timeout.Token);
        if (trickle == true)
        {
            for (var i = 0; i < 12 && !answer.IsCompleted; i++)
            {
                await Task.WhenAny(answer, Task.Delay(TimeSpan.FromSeconds(2), timeout.Token));
                if (answer.IsCompleted)
                    break;
                try
                {
                    await raw.SendAsync("{");
                }
                catch (IOException)
                {
                    break; // the server has answered and closed (over TLS a write then fails at once)
                }
            }
        }

        return await answer;
    }

    private static void AssertNoStackTrace(EdgeServer server) =>
        Assert.DoesNotContain(server.Logs.Entries, e => e.Level >= LogLevel.Error || e.Exception is not null);

    private static async Task<(HttpStatusCode Status, Dictionary<string, string> Checks)> ReadinessAsync(EdgeServer server)
    {
        using var response = await server.Http.GetAsync("/readyz");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var checks = json.RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("description").GetString() ?? "", StringComparer.Ordinal);
        return (response.StatusCode, checks);
    }
}
