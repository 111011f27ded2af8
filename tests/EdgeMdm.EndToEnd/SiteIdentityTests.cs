namespace EdgeMdm.EndToEnd;

/// <summary>
/// An appliance registered at the hub and started with only <c>--hub</c> and <c>--site-credential</c> (no seed) learns
/// its site's id and name from its feed, and a rename at the hub reaches it.
/// </summary>
public sealed class SiteIdentityTests
{
    [Fact]
    public async Task An_appliance_without_a_seed_learns_its_site_from_the_hub_and_follows_a_rename()
    {
        // Arrange: a hub, a site added through its REST API, a blueprint and a token for its devices
        await using var hubWithSite = await HubWithSite.StartAsync("DC Identity");
        var (hub, siteId, credential, edgeDirectory) = hubWithSite;
        await hub.PutBlueprintAsync("pickers", 1);
        var token = await hub.IssueTokenAsync(siteId, "pickers", uses: 5);

        // Act
        await using var appliance = await ApplianceProcess.StartAsync(edgeDirectory, hub: (hub.GrpcUrl, credential));
        using var device = appliance.CreateClient();
        var enrolled = await Enrollments.WhenAcceptedAsync(device, token, "SN-ID-1");
        using var renamed = await hub.Rest.PatchAsJsonAsync($"/api/v1/sites/{siteId}", new JsonObject { ["name"] = "DC Identity North" });
        var site = await WaitForSiteAsync(edgeDirectory, s => string.Equals(s.Name, "DC Identity North", StringComparison.Ordinal));

        // Assert
        Assert.Equal("dc-identity", enrolled.SiteId);
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal(("dc-identity", "DC Identity North"), (site.SiteId, site.Name));
    }

    /// <summary>The appliance's site row (table <c>site</c>), read-only while the appliance runs, once it satisfies <paramref name="done"/>.</summary>
    private static async Task<SiteRow> WaitForSiteAsync(string edgeDirectory, Func<SiteRow, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using (var db = new SQLiteConnection(new SQLiteConnectionString(Path.Combine(edgeDirectory, "edge.db"), SQLiteOpenFlags.ReadOnly, storeDateTimeAsTicks: true)))
            {
                if (db.Query<SiteRow>("SELECT site_id AS SiteId, name AS Name FROM site WHERE id = 1").FirstOrDefault() is { } row && done(row))
                    return row;
            }

            Assert.True(DateTime.UtcNow < deadline, "the appliance never learnt the site's new name");
            await Task.Delay(250);
        }
    }

    private sealed class SiteRow
    {
        public string SiteId { get; set; } = "";

        public string Name { get; set; } = "";
    }
}
