namespace EdgeMdm.EndToEnd;

/// <summary>People made at the hub reach the site's appliance over sync, and tenants are made by the hub operator.</summary>
public sealed class SiteUserTests
{
    [Fact]
    public async Task A_site_user_created_on_the_hub_reaches_the_appliances_users_list()
    {
        // Arrange: a hub, a site with its appliance syncing
        await using var hubWithSite = await HubWithSite.StartAsync("DC People");
        var (hub, siteId, credential, edgeDirectory) = hubWithSite;
        await using var appliance = await ApplianceProcess.StartAsync(edgeDirectory, hub: (hub.GrpcUrl, credential));

        // Act
        using var created = await hub.Rest.PostAsJsonAsync($"/api/v1/sites/{siteId}/users", new JsonObject { ["userName"] = "sam", ["role"] = "supervisor" });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var listed = await WaitForUsersAsync(edgeDirectory, users => users.Count == 1);

        // Assert
        var sam = Assert.Single(listed);
        Assert.Equal(("sam", "supervisor"), (sam.GetProperty("userName").GetString(), sam.GetProperty("role").GetString()));
        Assert.False(sam.TryGetProperty("passwordHash", out _));

        // ...and removing them at the hub removes them at the site
        using var removed = await hub.Rest.DeleteAsync(new Uri($"/api/v1/sites/{siteId}/users/sam", UriKind.Relative));
        Assert.True(removed.IsSuccessStatusCode);
        Assert.Empty(await WaitForUsersAsync(edgeDirectory, users => users.Count == 0));
    }

    [Fact]
    public async Task Tenants_add_prints_a_token_that_acts_in_the_new_tenant_only()
    {
        // Arrange
        using var data = new TempDirectory();
        await using var hub = await HubProcess.StartAsync(data.Path);
        await hub.AddSiteAsync("Default DC");

        // Act
        var added = await Processes.RunAsync(Processes.CloudDll, ["tenants", "add", "Acme Retail", "--database", data.Path], TimeSpan.FromSeconds(60));
        var again = await Processes.RunAsync(Processes.CloudDll, ["tenants", "add", "acme retail", "--database", data.Path], TimeSpan.FromSeconds(60));
        var list = await Processes.RunAsync(Processes.CloudDll, ["tenants", "list", "--database", data.Path], TimeSpan.FromSeconds(60));
        var badTenant = await Processes.RunAsync(Processes.CloudDll, ["admin-token", "create", "--name", "x", "--tenant", "nope", "--database", data.Path], TimeSpan.FromSeconds(60));

        // Assert
        Assert.True(added.ExitCode == 0, added.Stderr);
        var lines = added.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("tenant  acme-retail", lines[0]);
        var token = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        using var acme = new HttpClient { BaseAddress = hub.RestUrl };
        acme.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var created = await acme.PostAsJsonAsync("/api/v1/sites", new JsonObject { ["name"] = "Lyon DC" });
        Assert.Equal("acme-retail.lyon-dc", JsonNode.Parse(await created.Content.ReadAsStringAsync())!["siteId"]!.GetValue<string>());
        Assert.Equal(["acme-retail.lyon-dc"], JsonNode.Parse(await acme.GetStringAsync(new Uri("/api/v1/sites", UriKind.Relative)))!.AsArray().Select(s => s!["siteId"]!.GetValue<string>()));
        Assert.Equal(["default-dc"], JsonNode.Parse(await hub.Rest.GetStringAsync(new Uri("/api/v1/sites", UriKind.Relative)))!.AsArray().Select(s => s!["siteId"]!.GetValue<string>()));
        Assert.Equal(1, again.ExitCode);
        Assert.Equal("edgemdm-cloud: a tenant with id 'acme-retail' exists", again.Stderr.Trim());
        Assert.Contains("acme-retail  Acme Retail", list.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, badTenant.ExitCode);
        Assert.Equal("edgemdm-cloud: unknown tenant 'nope'", badTenant.Stderr.Trim());
    }

    private static async Task<List<JsonElement>> WaitForUsersAsync(string edgeDirectory, Func<List<JsonElement>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var result = await Processes.RunAsync(Processes.EdgeDll, ["users", "list", "--json", "--data-dir", edgeDirectory], TimeSpan.FromSeconds(60));
            Assert.True(result.ExitCode == 0, result.Stderr);
            using var document = JsonDocument.Parse(result.Stdout);
            var users = document.RootElement.EnumerateArray().Select(u => u.Clone()).ToList();
            if (done(users) || DateTime.UtcNow > deadline)
                return users;
            await Task.Delay(500);
        }
    }
}
