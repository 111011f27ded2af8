using System.Net;
using System.Text;
using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Staging;
using EdgeMdm.Edge.Blueprints;
using EdgeMdm.Edge.Staging.Plans;

namespace EdgeMdm.Edge.Tests;

/// <summary>Staging plans from the feed, kept protected at rest, and handed with their secrets only to a device of the group.</summary>
public sealed class StagingPlanTests
{
    internal const string Psk = "Site-PSK-91c0ffee";

    internal static StagingPlan Plan(string psk = Psk) => new("scanner-standard",
    [
        new EnrollStep(),
        new WifiStep("dc-floor", WifiSecurity.Wpa2Psk, new Secret(psk)),
        new SettingsStep(new Dictionary<string, string>(StringComparer.Ordinal) { ["screen.timeoutSeconds"] = "300" }),
        new VerifyStep(),
    ]);

    /// <summary>The hub's feed: the plan (clear, as the hub sends it to a site) and the pickers blueprint naming it.</summary>
    internal static async Task FeedPlanAsync(EdgeServer server, StagingPlan plan, ulong position = 1)
    {
        var pickers = server.Get<IBlueprints>().LoadAll().Single(b => string.Equals(b.Group, "pickers", StringComparison.Ordinal)) with { StagingPlan = plan.Name };
        await HubCatalog.ApplyAsync(
            server,
            new HubChange { Position = position, AtUnixMs = 1_700_000_000_000, StagingPlanUpserted = new() { Name = plan.Name, PlanJson = StagingPlanJson.SerializeClear(plan), PlanHash = plan.ContentHash() } },
            new HubChange { Position = position + 1, AtUnixMs = 1_700_000_000_000, BlueprintUpserted = new() { Group = "pickers", BlueprintJson = JsonSerializer.Serialize(pickers, BlueprintJson.Default.Blueprint) } });
    }

    [Fact]
    public async Task An_enrolled_device_of_the_group_gets_its_plan_with_the_secret_and_the_secret_is_not_at_rest_nor_logged()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        await FeedPlanAsync(server, Plan());
        var device = await server.EnrollAsync("SN-1");

        // Act
        using var response = await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/staging/plan", device.DeviceSecret));
        var body = await response.Content.ReadAsStringAsync();
        var listed = server.Get<IStagingPlans>().List();
        using var anonymous = await server.Http.GetAsync("/api/v1/staging/plan");

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var plan = StagingPlanJson.DeserializeClear(body);
        Assert.Equal(Psk, ((WifiStep)plan.Steps[1]).Psk!.Reveal());
        Assert.Equal(Plan().ContentHash(), plan.ContentHash());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var summary = Assert.Single(listed);
        Assert.Equal(["enroll", "wifi dc-floor wpa2-psk", "settings 1 keys", "verify"], summary.Steps);
        Assert.DoesNotContain(Psk, string.Join(' ', summary.Steps), StringComparison.Ordinal);
        await AssertSecretNowhereAsync(server, Psk);
    }

    [Fact]
    public async Task A_group_without_a_plan_is_404_naming_the_group()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");

        // Act
        using var response = await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/staging/plan", device.DeviceSecret));

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("group 'pickers' has no staging plan", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_plan_is_gone_from_the_site()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        await FeedPlanAsync(server, Plan());
        var device = await server.EnrollAsync("SN-1");

        // Act
        await HubCatalog.ApplyAsync(server, new HubChange { Position = 3, StagingPlanDeleted = new() { Name = "scanner-standard" } });
        using var response = await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/staging/plan", device.DeviceSecret));

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("names staging plan 'scanner-standard', which this site does not hold", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(server.Get<IStagingPlans>().List());
    }

    /// <summary>Neither any database file's raw bytes (the SQLite file, its WAL) nor any log line holds the secret.</summary>
    internal static async Task AssertSecretNowhereAsync(EdgeServer server, string secret)
    {
        var needle = Encoding.UTF8.GetBytes(secret);
        var files = Directory.EnumerateFiles(server.DataDir, "*.db*", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.True(copy.ToArray().AsSpan().IndexOf(needle) < 0, $"{file} holds the secret");
        }

        Assert.NotEmpty(server.Logs.Entries);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains(secret, StringComparison.Ordinal) || (e.Exception?.ToString().Contains(secret, StringComparison.Ordinal) ?? false));
    }
}
