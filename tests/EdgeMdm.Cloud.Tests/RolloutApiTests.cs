using System.Text;
using System.Text.Json;
using EdgeMdm.Cloud.Hosting;
using EdgeMdm.Contracts.Device;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Tests;

/// <summary>Rollouts through the REST API on the real host, devices counted offline after 10 minutes of silence.</summary>
public sealed class RolloutApiTests() : HubPerTest("--rollout-offline-after", "00:10:00")
{
    [Fact]
    public async Task A_version_change_put_through_the_api_is_reported_with_devices_judged_by_the_offline_setting()
    {
        // Arrange: the sample app at 100, then 120 with a single wave; three devices report at one site
        var (site, first, second) = await SiteWithRolloutAsync("Lyon DC");
        var now = DateTimeOffset.UtcNow;
        await Hub.Store.Upstream.ApplyUpstreamAsync(site, [
            .. Device(1, "installed", installed: 120, now.AddMinutes(-1)),
            .. Device(3, "pending", installed: 100, now.AddMinutes(-2)),
            .. Device(5, "silent", installed: 100, now.AddMinutes(-20)),
        ], now);

        // Act
        var report = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/rollouts?packageName=com.acme.scan");
        var forSite = await Hub.Rest.GetFromJsonAsync<JsonArray>($"/api/v1/rollouts?packageName=com.acme.scan&site={site}");

        // Assert
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (first, second));
        var rollout = Assert.Single(report!)!;
        Assert.Equal(("pickers", 100, "1.0.0", 120, "1.2.0"),
            ((string)rollout["group"]!, (int)rollout["fromVersionCode"]!, (string)rollout["fromVersionName"]!, (int)rollout["toVersionCode"]!, (string)rollout["toVersionName"]!));
        Assert.Equal("percentage", (string)rollout["plan"]!["waves"]![0]!["kind"]!);
        var total = rollout["total"]!;
        Assert.Equal((3, 1, 1, 0, 0, 1),
            ((int)total["devices"]!, (int)total["installed"]!, (int)total["pending"]!, (int)total["failed"]!, (int)total["incompatible"]!, (int)total["offline"]!));
        Assert.Equal(0, (int)total["failedByReason"]!["storage_full"]!);
        var siteView = Assert.Single(rollout["sites"]!.AsArray())!;
        Assert.Equal((site, "100%", "open"), ((string)siteView["siteId"]!, (string)siteView["waves"]![0]!["label"]!, (string)siteView["waves"]![0]!["state"]!));
        Assert.Null(siteView["halted"]);
        // Silent for 20 minutes: a straggler, chased but not waited for; the pending one is still waited for.
        Assert.Equal([("silent", "offline")],
            rollout["stragglers"]!.AsArray().Select(s => ((string)s!["deviceId"]!, (string)s["state"]!)));
        var waiting = siteView["waiting"]!;
        Assert.Equal((1, 2, 1, 1, 1), ((int)waiting["wave"]!, (int)waiting["counted"]!, (int)waiting["needed"]!, (int)waiting["pending"]!, (int)waiting["stragglers"]!));
        Assert.StartsWith("wave 1 (100%): waiting for 1 of 2 devices to settle (threshold 95 %), 1 straggler not waited for, time limit in ", (string)siteView["status"]!, StringComparison.Ordinal);
        Assert.Equal((string)siteView["status"]!, (string)rollout["status"]!);
        Assert.False((bool)rollout["finished"]!);
        Assert.Equal("SN-silent", (string)rollout["stragglers"]![0]!["serial"]!);
        // The two answers were computed moments apart: only what counts down with the clock may differ.
        Assert.True(JsonNode.DeepEquals(WithoutCountdowns(report!), WithoutCountdowns(forSite!)));
    }

    /// <summary>A copy of <paramref name="node"/> without the members that count down with the clock (time limit in N).</summary>
    private static JsonNode WithoutCountdowns(JsonNode node)
    {
        var copy = node.DeepClone();
        Strip(copy);
        return copy;

        static void Strip(JsonNode? current)
        {
            if (current is JsonObject obj)
            {
                foreach (var name in new[] { "status", "text", "timeLimitInSeconds" })
                    obj.Remove(name);
                foreach (var (_, child) in obj.ToList())
                    Strip(child);
            }
            else if (current is JsonArray array)
            {
                foreach (var child in array)
                    Strip(child);
            }
        }
    }

    [Fact]
    public async Task An_invalid_plan_is_400_naming_each_field_and_nothing_is_stored()
    {
        // Act
        using var response = await PutAsync(
            """{"apps":[{"packageName":"com.acme.scan","versionCode":120,"versionName":"1.2.0","rollout":{"plan":{"waves":[{"kind":"percentage","cumulativePercent":50}],"halt":{"failureRateThreshold":2,"minFinishedDevices":5}}}}]}""");
        using var noPlan = await PutAsync("""{"apps":[{"packageName":"com.acme.scan","versionCode":120,"versionName":"1.2.0","rollout":{}}]}""");

        // Assert
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (response.StatusCode, noPlan.StatusCode));
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!.AsObject();
        Assert.Equal(["apps[0].rollout.plan.halt.failureRateThreshold", "apps[0].rollout.plan.waves"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["apps[0].rollout.plan"], (await noPlan.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!.AsObject().Select(e => e.Key));
        Assert.Empty(await Hub.Store.Blueprints.ListBlueprintsAsync(TenantIds.Default));
    }

    [Fact]
    public async Task Without_a_package_name_it_lists_every_rollout_an_empty_name_is_400_and_without_a_rollout_or_for_an_unknown_site_404()
    {
        // Arrange: an app new to its group starts no rollout
        using var put = await PutAsync(AppAt100);

        // Act
        var noName = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/rollouts");
        using var emptyName = await Hub.Rest.GetAsync("/api/v1/rollouts?packageName=");
        using var none = await Hub.Rest.GetAsync("/api/v1/rollouts?packageName=com.acme.scan");
        using var noSite = await Hub.Rest.GetAsync("/api/v1/rollouts?packageName=com.acme.scan&site=nowhere");

        // Assert
        Assert.Empty(noName!);
        Assert.Equal(
            (HttpStatusCode.BadRequest, HttpStatusCode.NotFound, HttpStatusCode.NotFound),
            (emptyName.StatusCode, none.StatusCode, noSite.StatusCode));
        Assert.Equal("no site 'nowhere'", (string)(await noSite.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!);
    }

    [Fact]
    public async Task A_rollout_offline_threshold_of_zero_stops_the_hub_naming_the_setting()
    {
        // Act
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            CloudHost.BuildAsync(["--database", Path.Combine(Hub.Directory, "other"), "--rollout-offline-after", "00:00:00"]));

        // Assert
        Assert.StartsWith("Cloud:RolloutOfflineAfter (--rollout-offline-after)", Assert.Single(failure.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quarantined_device_is_left_out_of_the_rollout_as_the_site_leaves_it_out()
    {
        // Arrange: two devices of the group report; one is quarantined at its site
        var (site, _, _) = await SiteWithRolloutAsync("Quarantine DC");
        var now = DateTimeOffset.UtcNow;
        await Hub.Store.Upstream.ApplyUpstreamAsync(site, [
            .. Device(1, "floor", installed: 100, now),
            .. Device(3, "lost", installed: 100, now),
            new SiteChange { Sequence = 5, DeviceId = "lost", Transitioned = new() { FromState = "Active", ToState = "Quarantined", Actor = "operator", Reason = "left the site" } },
        ], now);

        // Act
        var report = await Hub.Rest.GetFromJsonAsync<JsonArray>($"/api/v1/rollouts?packageName=com.acme.scan&site={site}");

        // Assert
        Assert.Equal(1, (int)Assert.Single(report!)!["total"]!["devices"]!);
    }

    private const string AppAt100 = """{"apps":[{"packageName":"com.acme.scan","versionCode":100,"versionName":"1.0.0"}]}""";

    /// <summary>
    /// A site of the default tenant, and the sample app put at 100, then at 120 with a single wave: a rollout to report
    /// on. Returns the status of each put.
    /// </summary>
    private async Task<(string Site, HttpStatusCode First, HttpStatusCode Second)> SiteWithRolloutAsync(string siteName)
    {
        var site = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, siteName)).SiteId;
        using var first = await PutAsync(AppAt100);
        using var second = await PutAsync(
            """{"apps":[{"packageName":"com.acme.scan","versionCode":120,"versionName":"1.2.0","rollout":{"plan":{"waves":[{"kind":"percentage","cumulativePercent":100}],"halt":{"failureRateThreshold":0.2,"minFinishedDevices":5}}}}]}""");
        return (site, first.StatusCode, second.StatusCode);
    }

    private Task<HttpResponseMessage> PutAsync(string json) =>
        Hub.Rest.PutAsync("/api/v1/blueprints/pickers", new StringContent(json, Encoding.UTF8, "application/json"));

    private static SiteChange[] Device(ulong sequence, string deviceId, long installed, DateTimeOffset lastCheckIn) =>
        RolloutDevices.Reporting(sequence, deviceId, installed, lastCheckIn);
}
