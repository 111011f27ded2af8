using System.Text;
using System.Text.Json;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Rollouts;
using EdgeMdm.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// A short rollout on the real host: waves advance by their time limit, the report says what a held wave waits for, every
/// rollout is listed without a package name, and the hub logs the rollout's steps (rollout log lines captured, watched every second).
/// </summary>
public sealed class RolloutWaveApiTests() : HubPerTest(builder =>
{
    builder.Logging.AddFilter("EdgeMdm.Cloud.Rollouts", LogLevel.Information);
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(StringComparer.Ordinal) { ["Cloud:RolloutWatchInterval"] = "00:00:01" });
})
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_wave_that_does_not_settle_advances_at_its_time_limit_the_rollout_finishes_and_the_hub_logs_each_step()
    {
        // Arrange: two waves (50 %, 100 %), 3 s each; ten devices check in and install nothing
        var site = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon DC")).SiteId;
        using var first = await PutAsync("com.acme.scan", 100, plan: null);
        using var second = await PutAsync("com.acme.scan", 120, """{"waves":[{"kind":"percentage","cumulativePercent":50},{"kind":"percentage","cumulativePercent":100}],"halt":{"failureRateThreshold":0.2,"minFinishedDevices":5},"waveTimeLimit":"00:00:03"}""");
        var now = DateTimeOffset.UtcNow;
        var devices = HalfInFirstWave(await RolloutIdAsync(), 10);
        await Hub.Store.Upstream.ApplyUpstreamAsync(site, [.. devices.SelectMany((d, i) => Device((ulong)(i * 2) + 1, d, 100, now))], now);

        // Act
        var held = await SiteViewAsync();
        var advanced = await WaitForAsync(s => (int)s["openWaves"]! == 2);
        var rollout = await WaitForRolloutAsync(r => (bool)r["finished"]!);

        // Assert
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal(1, (int)held["openWaves"]!);
        Assert.Matches(@"^wave 1 \(50%\): waiting for \d+ of 5 devices to settle \(threshold 95 %\), time limit in \d s$", (string)held["status"]!);
        Assert.Equal("time-limit", (string)advanced["waves"]![0]!["advancedBy"]!);
        Assert.Equal(("finished", "finished"), ((string)rollout["status"]!, (string)rollout["sites"]![0]!["status"]!));
        Assert.Equal(10, rollout["stragglers"]!.AsArray().Count);
        var logged = await WaitForLogsAsync(2204);
        Assert.Contains(logged, e => e.EventId.Id == 2200 && e.Message.Contains("com.acme.scan 1.0.0 → 1.2.0", StringComparison.Ordinal));
        Assert.Contains(logged, e => e.EventId.Id == 2201 && e.Message.Contains("wave 1 of 2 (50%) open", StringComparison.Ordinal));
        Assert.Contains(logged, e => e.EventId.Id == 2201 && e.Message.Contains("wave 2 of 2 (100%) open", StringComparison.Ordinal));
        Assert.Contains(logged, e => e.EventId.Id == 2202 && e.Message.Contains("wave 1 (50%) advanced by time-limit", StringComparison.Ordinal));
        Assert.Contains(logged, e => e.EventId.Id == 2203 && e.Message.Contains($"finished at site {site}", StringComparison.Ordinal));
        Assert.Single(logged, e => e.EventId.Id == 2204);
    }

    [Fact]
    public async Task Without_a_package_name_every_current_rollout_is_listed_by_package()
    {
        // Arrange: two packages, each moved to a new version
        using var a = await PutAsync("com.acme.scan", 100, plan: null, group: "pickers", second: ("com.acme.zeta", 1));
        using var b = await PutAsync("com.acme.scan", 120, plan: null, group: "pickers", second: ("com.acme.zeta", 2));

        // Act
        var all = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/rollouts");

        // Assert
        Assert.Equal([("com.acme.scan", 120), ("com.acme.zeta", 2)], all!.Select(r => ((string)r!["packageName"]!, (int)r["toVersionCode"]!)));
        Assert.All(all!, r => Assert.Equal("no device of the group has reported yet", (string)r!["status"]!));
    }

    private async Task<string> RolloutIdAsync() =>
        (string)(await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/rollouts?packageName=com.acme.scan"))![0]!["rolloutId"]!;

    /// <summary>
    /// Device ids of which exactly half fall in the first (50 %) wave: the rollout's id is random, so ten arbitrary ids
    /// would now and then give that wave one device or none.
    /// </summary>
    private static List<string> HalfInFirstWave(string rolloutId, int count)
    {
        var candidates = Enumerable.Range(0, 1000).Select(i => $"d{i}").ToList();
        var first = candidates.Where(d => WaveAssignment.Bucket(rolloutId, d) < WaveAssignment.Buckets / 2).Take(count / 2);
        var later = candidates.Where(d => WaveAssignment.Bucket(rolloutId, d) >= WaveAssignment.Buckets / 2).Take(count - (count / 2));
        return [.. first, .. later];
    }

    private async Task<JsonNode> SiteViewAsync() =>
        (await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/rollouts?packageName=com.acme.scan"))![0]!["sites"]![0]!;

    private async Task<JsonNode> WaitForAsync(Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var site = await SiteViewAsync();
            if (done(site))
                return site;
            Assert.True(DateTime.UtcNow < deadline, $"the rollout stayed at {site.ToJsonString()}");
            await Task.Delay(200);
        }
    }

    private async Task<JsonNode> WaitForRolloutAsync(Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var rollout = (await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/rollouts?packageName=com.acme.scan"))![0]!;
            if (done(rollout))
                return rollout;
            Assert.True(DateTime.UtcNow < deadline, $"the rollout stayed at {rollout["status"]}");
            await Task.Delay(200);
        }
    }

    private async Task<List<LogEntry>> WaitForLogsAsync(int eventId)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var entries = Hub.Logs.Entries.Where(e => e.Category.StartsWith("EdgeMdm.Cloud.Rollouts", StringComparison.Ordinal)).ToList();
            if (entries.Any(e => e.EventId.Id == eventId))
                return entries;
            Assert.True(DateTime.UtcNow < deadline, $"no log {eventId}: {string.Join(" | ", entries.Select(e => e.Message))}");
            await Task.Delay(200);
        }
    }

    private Task<HttpResponseMessage> PutAsync(string packageName, long versionCode, string? plan, string group = "pickers", (string Package, long Version)? second = null)
    {
        var rollout = plan is null ? "" : $",\"rollout\":{{\"plan\":{plan}}}";
        var app = $"{{\"packageName\":\"{packageName}\",\"versionCode\":{versionCode},\"versionName\":\"1.{versionCode / 10 % 10}.0\"{rollout}}}";
        var other = second is { } s ? $",{{\"packageName\":\"{s.Package}\",\"versionCode\":{s.Version},\"versionName\":\"{s.Version}\"}}" : "";
        return Hub.Rest.PutAsync($"/api/v1/blueprints/{group}", new StringContent($"{{\"apps\":[{app}{other}]}}", Encoding.UTF8, "application/json"));
    }

    private static SiteChange[] Device(ulong sequence, string deviceId, long installed, DateTimeOffset lastCheckIn) =>
        RolloutDevices.Reporting(sequence, deviceId, installed, lastCheckIn);
}
