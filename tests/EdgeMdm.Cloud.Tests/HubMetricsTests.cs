using EdgeMdm.ServiceDefaults.WebSignIn;
using Grpc.Core;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The hub's own instruments as Prometheus scrapes them from <c>/metrics</c>. A meter listener sees every meter of its
/// name in the process, so the hubs of tests running beside this one would count into what it reads: it runs alone,
/// and compares a scrape after with one before.
/// </summary>
[Collection(Name)]
public sealed class HubMetricsTests : HubPerTest
{
    public const string Name = "metrics";

    [Fact]
    public async Task Sign_ins_are_counted_by_result()
    {
        // Arrange
        using var add = await Hub.Rest.PostAsJsonAsync("/api/v1/accounts", new { userName = "alice", password = "correct horse battery" });
        using var anonymous = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        var before = await ScrapeAsync();

        // Act: one right, then wrong ones until the address must wait for the account, then one more
        var free = new WebSessionOptions().LockoutFailures;
        await SignInAsync(anonymous, "correct horse battery");
        for (var i = 0; i < free; i++)
            await SignInAsync(anonymous, "wrong horse battery");
        await SignInAsync(anonymous, "correct horse battery");

        // Assert
        await AssertCountedAsync(before, "edgemdm_cloud_sign_ins_total", "result=\"signed_in\"", 1);
        // Every wrong password is refused (the last one answered 429: it starts the delay); the right one during it is limited.
        await AssertCountedAsync(before, "edgemdm_cloud_sign_ins_total", "result=\"refused\"", free);
        await AssertCountedAsync(before, "edgemdm_cloud_sign_ins_total", "result=\"limited\"", 1);
    }

    [Fact]
    public async Task Changes_applied_and_refused_pushes_are_counted()
    {
        // Arrange
        var (_, sync) = await Hub.AddSiteAsync("Lyon DC");
        static SiteChange Change(ulong sequence) =>
            new() { Sequence = sequence, DeviceId = $"dev-{sequence}", Enrolled = new() { Serial = $"SN-{sequence}", Group = "pickers" } };
        var before = await ScrapeAsync();

        // Act: the second batch repeats change 2, which is not applied twice; a change without sequence is refused
        await sync.PushAsync([[Change(1), Change(2)], [Change(2), Change(3)]]);
        await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([[new SiteChange { Sequence = 0, DeviceId = "dev-x" }]]));

        // Assert
        await AssertCountedAsync(before, "edgemdm_cloud_sync_changes_applied_total", "", 3);
        await AssertCountedAsync(before, "edgemdm_cloud_sync_pushes_refused_total", "", 1);
        Assert.Contains("http_server_request_duration_seconds", await ScrapeAsync(), StringComparison.Ordinal); // ASP.NET Core's, beside ours
    }

    private static async Task SignInAsync(HttpClient client, string password)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/login", new { user = "alice", password });
    }

    private Task<string> ScrapeAsync() => MetricsScrape.ScrapeAsync(Hub);

    private Task AssertCountedAsync(string before, string name, string label, double expected) =>
        MetricsScrape.AssertCountedAsync(Hub, before, name, label, expected);
}

[CollectionDefinition(HubMetricsTests.Name, DisableParallelization = true)]
public sealed class HubMetricsGroup;
