using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli.Tests;

/// <summary>The hub's first API versions may spell things differently; the CLI reads what it can.</summary>
public sealed class HubModelsTests
{
    [Fact]
    public void Sites_are_read_with_id_or_siteId_in_any_case_and_unknown_fields_ignored()
    {
        // Act
        var sites = JsonSerializer.Deserialize(
            """[{"Id":"s1","NAME":"Lyon","backlog":3},{"siteId":"s2","name":"Truck","lastSyncAt":"2026-11-24T10:00:00Z","appliedThrough":12,"feedHead":4}]""",
            HubJson.Default.ListHubSite)!;

        // Assert
        Assert.Equal(["s1", "s2"], sites.Select(s => s.Site));
        Assert.Equal("Lyon", sites[0].Name);
        Assert.Equal(12UL, sites[1].AppliedThrough);
    }

    [Theory]
    [InlineData("""{"deviceId":"d","findings":3}""", 3)]
    [InlineData("""{"id":"d","findings":[{"item":"app"},{"item":"os"}]}""", 2)]
    [InlineData("""{"deviceId":"d"}""", 0)]
    public void Findings_are_a_count_or_a_list(string json, int expected)
    {
        // Act
        var device = JsonSerializer.Deserialize(json, HubJson.Default.HubDevice)!;

        // Assert
        Assert.Equal("d", device.Device);
        Assert.Equal(expected, device.FindingCount);
    }

    [Fact]
    public void Installed_apps_come_from_statusJson_or_status()
    {
        // Act
        var asString = JsonSerializer.Deserialize("""{"statusJson":"{\"apps\":[{\"packageName\":\"com.a\",\"versionCode\":5}]}"}""", HubJson.Default.HubDevice)!;
        var asObject = JsonSerializer.Deserialize("""{"status":{"apps":[{"packageName":"com.b","versionCode":6}]}}""", HubJson.Default.HubDevice)!;
        var broken = JsonSerializer.Deserialize("""{"statusJson":"not json"}""", HubJson.Default.HubDevice)!;

        // Assert
        Assert.Equal("com.a", Assert.Single(asString.InstalledApps()).PackageName);
        Assert.Equal(6, Assert.Single(asObject.InstalledApps()).VersionCode);
        Assert.Empty(broken.InstalledApps());
    }
}
