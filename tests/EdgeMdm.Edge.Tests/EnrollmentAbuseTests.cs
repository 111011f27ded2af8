using System.Net;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Edge.Alerts;

namespace EdgeMdm.Edge.Tests;

/// <summary>Token guessing at the enrollment endpoint: the site's alert, and the rate limit's refusals as <c>/metrics</c> counts them.</summary>
public sealed class EnrollmentAbuseTests
{
    private const string Kind = "enrollment.guessing";

    [Fact]
    public async Task Refusals_past_the_threshold_raise_an_alert_the_supervisor_sees_and_a_quiet_window_clears_it()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync(
            "--Edge:Limits:GuessingAlarmRefusals", "3", "--Edge:Limits:GuessingAlarmWindow", "00:01:00");
        var alerts = server.Get<IAlerts>();

        // Act: two guesses, then a third within the minute
        await GuessAsync(server, "guess-1");
        await GuessAsync(server, "guess-2");
        var beforeThreshold = alerts.Open().Any(IsGuessing);
        server.Clock.Advance(TimeSpan.FromSeconds(20));
        await GuessAsync(server, "guess-3");
        var raised = alerts.Open().SingleOrDefault(IsGuessing);
        // A real device still enrolls meanwhile.
        await server.EnrollAsync("S-REAL");
        server.Clock.Advance(TimeSpan.FromSeconds(30));
        var stillOpen = alerts.Open().Any(IsGuessing);
        // A whole minute without a guess: the next check (every tenth of the window) clears it.
        server.Clock.Advance(TimeSpan.FromSeconds(60));
        await WaitUntilAsync(() => !alerts.Open().Any(IsGuessing));

        // Assert
        Assert.False(beforeThreshold);
        Assert.NotNull(raised);
        Assert.Contains("guessing enrollment tokens", raised.Message, StringComparison.Ordinal);
        Assert.True(stillOpen);
        Assert.DoesNotContain(alerts.Open(), IsGuessing);
    }

    [Fact]
    public async Task Enrollments_past_the_address_limit_get_429_and_are_counted_on_metrics_under_the_policy_name()
    {
        // Arrange: one a second, twenty seconds' worth at once
        await using var server = await EdgeServer.StartAsync("--Edge:Limits:EnrollmentsPerSecondPerAddress", "1");
        var statuses = new List<HttpStatusCode>();

        // Act
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 60 && refused is null; i++)
        {
            var response = await server.Http.PostAsJsonAsync("/api/v1/enroll", EdgeServer.Enrollment($"S-{i}", "no-such-token"), DeviceProtocolJson.Default.EnrollRequest);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                refused = response;
            else
                response.Dispose();
        }

        var metrics = await server.Http.GetStringAsync("/metrics");

        // Assert
        Assert.NotNull(refused);
        // At least the burst; more when the bucket refilled meanwhile (one a second, on a loaded machine).
        Assert.True(statuses.Count(s => s != HttpStatusCode.TooManyRequests) >= 20, $"refused after {statuses.Count - 1} enrollments");
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains(
            metrics.Split('\n'),
            line => line.StartsWith("aspnetcore_rate_limiting_requests_total{", StringComparison.Ordinal)
                && line.Contains("aspnetcore_rate_limiting_policy=\"enrollment\"", StringComparison.Ordinal)
                && line.Contains("aspnetcore_rate_limiting_result=\"endpoint_limiter\"", StringComparison.Ordinal)
                && !line.EndsWith(" 0", StringComparison.Ordinal));
        refused.Dispose();
    }

    private static async Task GuessAsync(EdgeServer server, string token)
    {
        using var response = await server.Http.PostAsJsonAsync("/api/v1/enroll", EdgeServer.Enrollment("S-GUESS", token), DeviceProtocolJson.Default.EnrollRequest);
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"a guess answered {response.StatusCode}");
    }

    private static bool IsGuessing(AlertRecord alert) => string.Equals(alert.Kind, Kind, StringComparison.Ordinal);

    /// <summary>Waits for the background check the clock just triggered, which runs on another thread.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the alert was not cleared in time");
            await Task.Delay(20);
        }
    }
}
