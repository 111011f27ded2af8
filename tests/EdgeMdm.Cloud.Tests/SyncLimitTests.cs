using EdgeMdm.Cloud.Sync;
using EdgeMdm.Contracts.Sync;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The sync service's rate limits (<c>Cloud:Limits</c>), through a real Grpc.Net.Client over HTTP/2 to the real hub: per
/// authenticated site, and per source address before the credential is looked up. Counted on <c>/metrics</c>, so the
/// class runs with the metrics tests, alone.
/// </summary>
[Trait("Category", "Integration")]
[Collection(HubMetricsTests.Name)]
public sealed class SyncLimitTests
{
    // With 1 call a second a bucket holds 6 (RateLimits.PerSecond's burst): the seventh quick call is refused, unless the
    // test was slow enough for the bucket to refill a little, hence "within".
    private const int QuickCallsWithin = 30;

    [Fact]
    public async Task A_site_past_its_limit_is_resource_exhausted_with_a_retry_hint_counted_while_another_site_is_served()
    {
        // Arrange
        await using var hub = await RunningHub.StartAsync($"--{SyncLimitOptions.Section}:{nameof(SyncLimitOptions.SyncCallsPerSecondPerSite)}=1");
        var (busy, busySync) = await hub.AddSiteAsync("DC Busy");
        var (_, quietSync) = await hub.AddSiteAsync("DC Quiet");
        var before = await MetricsScrape.ScrapeAsync(hub);

        // Act
        var (served, refused) = await HelloUntilRefusedAsync(() => busySync.Hello(busy.SiteId));
        var other = await quietSync.Hello("");

        // Assert
        Assert.InRange(served, 6, QuickCallsWithin - 1);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal($"site '{busy.SiteId}' is over its limit of 1 sync calls a second; retry after 1 s", refused.Status.Detail);
        AssertHint(refused, longest: TimeSpan.FromSeconds(1));
        Assert.Equal("dc-quiet", other.SiteId);
        await MetricsScrape.AssertCountedAsync(hub, before, "edgemdm_cloud_sync_calls_limited_total", "limit=\"site\"", 1);
        var warning = Assert.Single(hub.Logs.Entries, e => e.EventId.Id == 2040);
        Assert.Contains($"from {busy.SiteId} refused by the per-site rate limit", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_address_past_its_limit_is_refused_before_its_credential_is_looked_up_and_counted()
    {
        // Arrange
        await using var hub = await RunningHub.StartAsync($"--{SyncLimitOptions.Section}:{nameof(SyncLimitOptions.SyncCallsPerSecondPerAddress)}=1");
        var (site, sync) = await hub.AddSiteAsync("DC Leipzig");
        var guesser = hub.Sync("not-a-credential");
        var before = await MetricsScrape.ScrapeAsync(hub);

        // Act: a caller guessing credentials from the address the site uses too (loopback)
        var (guesses, refused) = await HelloUntilRefusedAsync(() => guesser.Hello(""));
        var siteFromThere = await Assert.ThrowsAsync<RpcException>(() => sync.Hello(site.SiteId).ResponseAsync);

        // Assert: every guess before the limit was looked up and refused as unknown; none after it
        Assert.InRange(guesses, 6, QuickCallsWithin - 1);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal("address 127.0.0.1 is over its limit of 1 sync calls a second; retry after 1 s", refused.Status.Detail);
        AssertHint(refused, longest: TimeSpan.FromSeconds(1));
        Assert.Equal(StatusCode.ResourceExhausted, siteFromThere.StatusCode);
        Assert.Equal(guesses, hub.Logs.Entries.Count(e => e.EventId.Id == 2010));
        await MetricsScrape.AssertCountedAsync(hub, before, "edgemdm_cloud_sync_calls_limited_total", "limit=\"address\"", 2);
        await MetricsScrape.AssertCountedAsync(hub, before, "aspnetcore_rate_limiting_requests_total",
            "aspnetcore_rate_limiting_policy=\"sync-address\",aspnetcore_rate_limiting_result=\"endpoint_limiter\"", 2);
    }

    [Fact]
    public async Task Limits_out_of_range_stop_the_hub_at_start_naming_them()
    {
        // Act
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => RunningHub.StartAsync(
            $"--{SyncLimitOptions.Section}:{nameof(SyncLimitOptions.SyncCallsPerSecondPerSite)}=-1",
            $"--{SyncLimitOptions.Section}:{nameof(SyncLimitOptions.SyncCallsPerSecondPerAddress)}=100001"));

        // Assert
        Assert.Contains("Cloud:Limits:SyncCallsPerSecondPerSite must be between 0 (no limit) and 100000, not -1", failure.Failures);
        Assert.Contains("Cloud:Limits:SyncCallsPerSecondPerAddress must be between 0 (no limit) and 100000, not 100001", failure.Failures);
    }

    [Fact]
    public async Task Every_grpc_endpoint_takes_the_address_limit()
    {
        // Arrange
        await using var hub = await RunningHub.StartAsync();

        // Act
        var grpc = ((Microsoft.AspNetCore.Routing.IEndpointRouteBuilder)hub.App).DataSources.SelectMany(d => d.Endpoints)
            .Where(e => e.DisplayName?.StartsWith("gRPC - ", StringComparison.Ordinal) == true)
            .ToList();

        // Assert: the four methods and grpc-dotnet's catch-alls for unknown services and methods
        Assert.Equal(6, grpc.Count);
        Assert.All(grpc, e => Assert.Equal(
            SyncAddressLimit.Policy, e.Metadata.GetMetadata<Microsoft.AspNetCore.RateLimiting.EnableRateLimitingAttribute>()?.PolicyName));
    }

    /// <summary>Calls at once, one after another, until one is refused: how many got another answer, and the refusal.</summary>
    private static async Task<(int Answered, RpcException Refused)> HelloUntilRefusedAsync(Func<AsyncUnaryCall<HelloReply>> hello)
    {
        for (var answered = 0; answered < QuickCallsWithin; answered++)
        {
            try
            {
                using var call = hello();
                await call.ResponseAsync;
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.ResourceExhausted)
            {
                return (answered, exception);
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.Unauthenticated)
            {
                // A guess that reached the credential lookup.
            }
        }

        throw new Xunit.Sdk.XunitException($"{QuickCallsWithin} calls in a row were all answered");
    }

    /// <summary>The refusal carries both forms of the wait (sync.proto's RetryHint), and the appliance reads it back.</summary>
    private static void AssertHint(RpcException refused, TimeSpan longest)
    {
        var pushback = long.Parse(refused.Trailers.GetValue(RetryHint.PushbackHeader)!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(pushback, 1, (long)longest.TotalMilliseconds);
        Assert.Equal("1", refused.Trailers.GetValue(RetryHint.RetryAfterHeader));
        Assert.Equal(TimeSpan.FromMilliseconds(pushback), RetryHint.From(refused));
    }
}
