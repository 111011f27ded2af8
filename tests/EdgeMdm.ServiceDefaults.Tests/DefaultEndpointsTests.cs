using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeMdm.ServiceDefaults.Tests;

public sealed class DefaultEndpointsTests : IAsyncLifetime
{
    private const string TestMeter = "EdgeMdm.Test";
    private readonly ReadinessSwitch _readiness = new();
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(
        new ServiceDefaultsOptions { Meters = [TestMeter] },
        builder =>
        {
            builder.Services.AddSingleton(_readiness);
            builder.Services.AddSingleton<Hits>();
            builder.Services.AddHealthChecks()
                .AddCheck("always", () => HealthCheckResult.Healthy("nothing to check"), [HealthTags.Ready])
                .AddCheck<SwitchedDiskCheck>("disk", tags: [HealthTags.Ready])
                // Not tagged Ready: /readyz must not run it.
                .AddCheck("untagged", () => HealthCheckResult.Unhealthy("never asked"));
        },
        app =>
        {
            app.MapPost("/hit", (Hits hits) => hits.Add()).AllowAnonymous();
            app.MapPost("/hit/{shelf:int}", (int shelf, Hits hits) => hits.Add(shelf)).AllowAnonymous();
        });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Healthz_answers_ok_without_running_checks()
    {
        _readiness.Failing = true;

        var response = await _app.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await response.Content.ReadAsStringAsync()).Trim());
    }

    [Fact]
    public async Task Readyz_is_200_while_every_ready_check_is_healthy()
    {
        var (response, body) = await ReadyzAsync(failing: false);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal(["always", "disk"], body.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Readyz_is_503_and_names_the_failing_check_and_why()
    {
        var (response, body) = await ReadyzAsync(failing: true);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var disk = body.GetProperty("checks").EnumerateArray().Single(c => string.Equals(c.GetProperty("name").GetString(), "disk", StringComparison.Ordinal));
        Assert.Equal("Unhealthy", disk.GetProperty("status").GetString());
        Assert.Matches("^free space on .+ is [0-9]+ [MG]iB, below the [0-9]+ GiB floor$", disk.GetProperty("description").GetString());
    }

    [Fact]
    public async Task Metrics_exports_the_hosts_meter_and_aspnetcores_in_prometheus_text()
    {
        (await _app.PostAsync("/hit")).EnsureSuccessStatusCode();
        (await _app.PostAsync("/hit")).EnsureSuccessStatusCode();

        var response = await _app.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE edgemdm_test_hits_total counter", text, StringComparison.Ordinal);
        Assert.Matches("(?m)^edgemdm_test_hits_total(\\{[^}]*\\})? 2(\\s|$)", text);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_metric_past_its_series_limit_sums_the_rest_into_the_overflow_series_and_loses_no_count()
    {
        var shelves = ServiceDefaultsExtensions.MetricSeriesLimit + 40;
        for (var shelf = 0; shelf < shelves; shelf++)
            (await _app.PostAsync($"/hit/{shelf}")).EnsureSuccessStatusCode();

        var text = await (await _app.GetAsync("/metrics")).Content.ReadAsStringAsync();

        var series = Regex.Matches(text, "(?m)^edgemdm_test_shelf_hits_total\\{(?<tags>[^}]*)\\} (?<count>[0-9]+)", RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(5));
        var kept = series.Where(s => s.Groups["tags"].Value.Contains("shelf=", StringComparison.Ordinal)).ToList();
        var overflow = Assert.Single(series, s => s.Groups["tags"].Value.Contains("otel_metric_overflow=\"true\"", StringComparison.Ordinal));
        Assert.InRange(kept.Count, ServiceDefaultsExtensions.MetricSeriesLimit - 2, ServiceDefaultsExtensions.MetricSeriesLimit);
        Assert.Equal(shelves, series.Sum(s => int.Parse(s.Groups["count"].Value, CultureInfo.InvariantCulture)));
        Assert.NotEqual("0", overflow.Groups["count"].Value);
    }

    [Fact]
    public void Default_endpoints_are_declared_anonymous()
    {
        var unprotected = EndpointPolicies.Unprotected(_app.App);

        Assert.Empty(unprotected);
    }

    private async Task<(HttpResponseMessage Response, JsonElement Body)> ReadyzAsync(bool failing)
    {
        _readiness.Failing = failing;
        var response = await _app.GetAsync("/readyz");
        // Whatever the verdict: a cached "ready" would outlive the fact.
        Assert.True(response.Headers.CacheControl?.NoStore);
        return (response, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    public sealed class ReadinessSwitch
    {
        private volatile bool _failing;

        public bool Failing
        {
            get => _failing;
            set => _failing = value;
        }
    }

    /// <summary>The shared disk check, with a floor no disk meets while the switch says fail.</summary>
    private sealed class SwitchedDiskCheck(ReadinessSwitch readiness) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            new DiskSpaceHealthCheck(Path.GetTempPath(), readiness.Failing ? long.MaxValue : 0).CheckHealthAsync(context, cancellationToken);
    }

    /// <summary>A host's own instrument, created the way hosts do: from <see cref="IMeterFactory"/>.</summary>
    private sealed class Hits(IMeterFactory meters)
    {
        private readonly Counter<long> _hits = meters.Create(TestMeter).CreateCounter<long>("edgemdm.test.hits");
        private readonly Counter<long> _shelfHits = meters.Create(TestMeter).CreateCounter<long>("edgemdm.test.shelf_hits");

        public NoContent Add()
        {
            _hits.Add(1);
            return TypedResults.NoContent();
        }

        public NoContent Add(int shelf)
        {
            _shelfHits.Add(1, new KeyValuePair<string, object?>("shelf", shelf));
            return TypedResults.NoContent();
        }
    }
}
