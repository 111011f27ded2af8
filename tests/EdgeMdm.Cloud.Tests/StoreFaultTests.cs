using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// What the hub answers when its database cannot serve a call: a real hub on PostgreSQL whose connection pool holds one
/// connection and waits one second for it, while another session holds that connection. Every call that needs the
/// database then finds the pool exhausted, as 1,000 sites found Npgsql's default pool of 100 in the fan-in bench. A site
/// is told UNAVAILABLE with a retry hint, an operator's REST client 503 problem details with Retry-After; nothing a
/// site was told is applied gets lost.
/// </summary>
[Collection(PostgresServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class StoreFaultTests(PostgresServer server)
{
    /// <summary>Npgsql's pool settings: one connection, and a one-second wait for it before "the pool has been exhausted".</summary>
    private const string PoolOfOne = ";Maximum Pool Size=1;Timeout=1";

    [SkippableFact]
    public async Task Calls_finding_the_pool_exhausted_are_unavailable_with_a_retry_hint_on_grpc_and_503_on_rest()
    {
        // Arrange
        using var blobs = new TempDirectory("edgemdm-blobs-");
        await using var hub = await StartAsync(blobs);
        var (site, sync) = await hub.AddSiteAsync("DC Pool");
        var db = hub.App.Services.GetRequiredService<IHubDatabase>();

        // Act: the pool's one connection is busy while the site says hello and an operator lists the sites
        RpcException refused;
        HttpResponseMessage listed;
        await using (await db.BeginAsync(write: false, CancellationToken.None))
        {
            refused = await Assert.ThrowsAsync<RpcException>(() => sync.Hello(site.SiteId).ResponseAsync);
            listed = await hub.Rest.GetAsync(new Uri("/api/v1/sites", UriKind.Relative));
        }

        // Assert: the site's call is refused as "come back later" before its credential could be checked; the warning
        // carries Npgsql's own words (which name the knobs), the answers only what a caller may know
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.StartsWith("the hub's database is unavailable right now (connection pool exhausted)", refused.Status.Detail, StringComparison.Ordinal);
        AssertRetryHint(refused);
        var warning = Assert.Single(hub.Logs.Entries, e => e.EventId.Id == 2041);
        Assert.Null(warning.Exception);
        Assert.Contains("The connection pool has been exhausted", warning.Message, StringComparison.Ordinal);
        using (listed)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, listed.StatusCode);
            Assert.Equal("application/problem+json", listed.Content.Headers.ContentType?.MediaType);
            Assert.Equal("5", listed.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var problem = (await listed.Content.ReadFromJsonAsync<JsonNode>())!;
            Assert.Equal("Database unavailable", problem["title"]!.GetValue<string>());
            Assert.Contains("(connection pool exhausted)", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [SkippableFact]
    public async Task A_push_stream_keeps_what_was_acknowledged_before_the_pool_ran_out_and_ends_unavailable()
    {
        // Arrange: one batch pushed and acknowledged
        using var blobs = new TempDirectory("edgemdm-blobs-");
        await using var hub = await StartAsync(blobs);
        var (site, sync) = await hub.AddSiteAsync("DC Push");
        var db = hub.App.Services.GetRequiredService<IHubDatabase>();
        var at = DateTimeOffset.UtcNow;
        using var push = sync.StartPush();
        await push.RequestStream.WriteAsync(new UpstreamBatch { Changes = { ConsoleFleet.Enrolled(1, "dev-1", at) } });
        Assert.True(await push.ResponseStream.MoveNext(CancellationToken.None));
        var acknowledged = push.ResponseStream.Current.AppliedThrough;

        // Act: the next batch arrives while the pool's one connection is busy
        RpcException refused;
        await using (await db.BeginAsync(write: false, CancellationToken.None))
        {
            await push.RequestStream.WriteAsync(new UpstreamBatch { Changes = { ConsoleFleet.Enrolled(2, "dev-2", at) } });
            refused = await Assert.ThrowsAsync<RpcException>(() => push.ResponseStream.MoveNext(CancellationToken.None));
        }

        // Assert
        Assert.Equal(1UL, acknowledged);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        AssertRetryHint(refused);
        Assert.Equal(1UL, await hub.Store.Upstream.AppliedThroughAsync(site.SiteId));
    }

    private async Task<RunningHub> StartAsync(TempDirectory blobs)
    {
        var database = await server.CreateDatabaseOrSkipAsync();
        return await RunningHub.StartAsync("--database", database + PoolOfOne, "--blob-directory", blobs.Path);
    }

    /// <summary>
    /// Both forms of the wait, the default 5 s stretched by up to as much again so that the sites told together do not
    /// come back together; the message names the whole seconds.
    /// </summary>
    private static void AssertRetryHint(RpcException refused)
    {
        var pushback = long.Parse(refused.Trailers.GetValue(RetryHint.PushbackHeader)!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(pushback, 5_000, 10_000);
        var seconds = refused.Trailers.GetValue(RetryHint.RetryAfterHeader);
        Assert.Equal(RetryHint.Seconds(TimeSpan.FromMilliseconds(pushback)), seconds);
        Assert.EndsWith($"retry after {seconds} s", refused.Status.Detail, StringComparison.Ordinal);
    }
}
