using System.Net.Http.Headers;
using System.Text;
using EdgeMdm.Cloud.Accounts;

namespace EdgeMdm.Cloud.Tests;

/// <summary>The REST API for central IT on the real host, over loopback.</summary>
public sealed class AdminApiTests : HubPerTest
{
    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-token")]
    [InlineData("Basic YWRtaW46YWRtaW4=")]
    public async Task Calls_without_a_known_api_token_get_401_problem_details(string? authorization)
    {
        // Arrange
        using var client = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        if (authorization is not null)
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        // Act
        using var list = await client.GetAsync(new Uri("/api/v1/sites", UriKind.Relative));
        using var create = await client.PostAsJsonAsync("/api/v1/sites", new { name = "Sneaky" });
        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        // Assert
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (list.StatusCode, create.StatusCode));
        Assert.Equal("application/problem+json", list.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", list.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(401, (await list.Content.ReadFromJsonAsync<JsonNode>())!["status"]!.GetValue<int>());
        Assert.Empty(await Hub.Store.Sites.ListSitesAsync(TenantIds.Default));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode); // the liveness probe needs no token
    }

    [Fact]
    public async Task Sites_blueprints_tokens_commands_and_devices_round_trip()
    {
        // Act
        using var created = await Hub.Rest.PostAsJsonAsync("/api/v1/sites", new { name = "DC Leipzig #2" });
        var site = (await created.Content.ReadFromJsonAsync<JsonNode>())!;
        var siteId = site["siteId"]!.GetValue<string>();
        using var firstPut = await PutBlueprintAsync("pickers", 80);
        using var secondPut = await PutBlueprintAsync("pickers", 85);
        using var samePut = await PutBlueprintAsync("pickers", 85);
        var blueprints = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/blueprints");
        using var token = await Hub.Rest.PostAsJsonAsync($"/api/v1/sites/{siteId}/tokens", new { group = "pickers", uses = 5, expiresInSeconds = 3600 });
        using var command = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { siteId, deviceId = "dev-0", type = "reboot", parameters = new { reason = "stuck" }, expiresInSeconds = 600 });
        var commandId = (await command.Content.ReadFromJsonAsync<JsonNode>())!["commandId"]!.GetValue<string>();
        await Hub.Store.Upstream.ApplyUpstreamAsync(siteId, [new SiteChange { Sequence = 1, DeviceId = "dev-0", Enrolled = new() { Serial = "SN-0", Group = "pickers" } }], DateTimeOffset.UtcNow);
        var sites = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/sites");
        var shown = await Hub.Rest.GetFromJsonAsync<JsonNode>($"/api/v1/commands/{commandId}");
        var devices = await Hub.Rest.GetFromJsonAsync<JsonArray>($"/api/v1/devices?site={siteId}");
        var allDevices = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/devices");
        using var deleted = await Hub.Rest.DeleteAsync(new Uri("/api/v1/blueprints/pickers", UriKind.Relative));

        // Assert
        Assert.Equal((HttpStatusCode.Created, "dc-leipzig-2", 64), (created.StatusCode, siteId, site["credential"]!.GetValue<string>().Length));
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.OK), (firstPut.StatusCode, secondPut.StatusCode, samePut.StatusCode));
        Assert.False((await samePut.Content.ReadFromJsonAsync<JsonNode>())!["changed"]!.GetValue<bool>());
        Assert.Equal(85, Assert.Single(blueprints!)!["batteryHealthFloorPercent"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Created, token.StatusCode);
        Assert.Equal(64, (await token.Content.ReadFromJsonAsync<JsonNode>())!["token"]!.GetValue<string>().Length);
        Assert.Equal(HttpStatusCode.Created, command.StatusCode);
        var listed = Assert.Single(sites!)!;
        Assert.Equal((siteId, "DC Leipzig #2", 1UL, 6UL), (listed["siteId"]!.GetValue<string>(), listed["name"]!.GetValue<string>(),
            listed["appliedThrough"]!.GetValue<ulong>(), listed["feedHead"]!.GetValue<ulong>()));
        Assert.NotNull(listed["lastSyncAt"]);
        Assert.Equal(("queued", "reboot", "tests"), (shown!["status"]!.GetValue<string>(), shown["type"]!.GetValue<string>(), shown["createdBy"]!.GetValue<string>()));
        Assert.Equal("SN-0", Assert.Single(devices!)!["serial"]!.GetValue<string>());
        Assert.Single(allDevices!);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task Bad_input_is_answered_with_problem_details_naming_the_field()
    {
        // Arrange
        await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig");
        using (await PutBlueprintAsync("pickers", 80))
        {
        }

        // Act / Assert
        await AssertInvalidAsync(await Hub.Rest.PostAsJsonAsync("/api/v1/sites", new { }), "name");
        await AssertInvalidAsync(await Hub.Rest.PostAsJsonAsync("/api/v1/sites", new { name = "--" }), "name");
        await AssertInvalidAsync(await PostRawAsync("/api/v1/sites", "{\"name\": 12}"), "name");
        await AssertInvalidAsync(await PostRawAsync("/api/v1/sites", "{\"name\": "), "name");
        await AssertInvalidAsync(await PostRawAsync("/api/v1/sites", "not json"), "body");
        await AssertInvalidAsync(await PutRawAsync("/api/v1/blueprints/pickers", "{\"apps\":[{\"packageName\":\"a\",\"versionCode\":\"x\"}]}"), "apps[0].versionCode");
        await AssertInvalidAsync(await PutRawAsync("/api/v1/blueprints/pickers", "{\"apps\":[{\"versionCode\":1,\"versionName\":\"1\"}]}"), "apps[0].packageName");
        await AssertInvalidAsync(await PutRawAsync("/api/v1/blueprints/pickers", "{\"batteryHealthFloorPercent\":101}"), "batteryHealthFloorPercent");
        await AssertInvalidAsync(await PutRawAsync("/api/v1/blueprints/pickers", "{\"group\":\"drivers\"}"), "group");
        await AssertInvalidAsync(await PutRawAsync("/api/v1/blueprints/pick%20ers", "{}"), "group");
        await AssertInvalidAsync(await Hub.Rest.PostAsJsonAsync("/api/v1/sites/dc-leipzig/tokens", new { group = "pickers", uses = 0, expiresInSeconds = 3600 }), "uses");
        await AssertInvalidAsync(await Hub.Rest.PostAsJsonAsync("/api/v1/sites/dc-leipzig/tokens", new { group = "drivers", uses = 1, expiresInSeconds = 3600 }), "group");
        await AssertInvalidAsync(await Hub.Rest.PostAsJsonAsync("/api/v1/sites/dc-leipzig/tokens", new { group = "pickers", uses = 1 }), "expiresInSeconds");
        await AssertInvalidAsync(await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { siteId = "dc-leipzig", type = "reboot" }), "deviceId");
        await AssertInvalidAsync(await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { siteId = "nowhere", deviceId = "d", type = "reboot" }), "siteId");
        await AssertProblemAsync(await Hub.Rest.PostAsJsonAsync("/api/v1/sites", new { name = "dc leipzig" }), HttpStatusCode.Conflict);
        await AssertProblemAsync(await Hub.Rest.PostAsJsonAsync("/api/v1/sites/nowhere/tokens", new { group = "pickers", uses = 1, expiresInSeconds = 3600 }), HttpStatusCode.NotFound);
        await AssertProblemAsync(await Hub.Rest.GetAsync(new Uri("/api/v1/commands/nope", UriKind.Relative)), HttpStatusCode.NotFound);
        await AssertProblemAsync(await Hub.Rest.GetAsync(new Uri("/api/v1/devices?site=nowhere", UriKind.Relative)), HttpStatusCode.NotFound);
        await AssertProblemAsync(await Hub.Rest.DeleteAsync(new Uri("/api/v1/blueprints/drivers", UriKind.Relative)), HttpStatusCode.NotFound);
        await AssertProblemAsync(await PostRawAsync("/api/v1/sites", "name=x", "application/x-www-form-urlencoded"), HttpStatusCode.UnsupportedMediaType);
        Assert.Single(await Hub.Store.Sites.ListSitesAsync(TenantIds.Default));
    }

    [Fact]
    public async Task An_api_token_created_by_the_cli_works_while_the_hub_runs_on_the_same_database()
    {
        // Arrange
        using var output = new StringWriter();

        // Act
        await AdminTokenCommand.CreateAdminTokenAsync(Hub.Directory, "alice", output);
        var token = output.ToString().TrimEnd('\n');
        using var client = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.GetAsync(new Uri("/api/v1/sites", UriKind.Relative));

        // Assert
        Assert.Matches("^[0-9a-f]{64}$", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private Task<HttpResponseMessage> PutBlueprintAsync(string group, int batteryFloor) =>
        Hub.Rest.PutAsJsonAsync($"/api/v1/blueprints/{group}", new
        {
            group,
            apps = new[] { new { packageName = "com.acme.scan", versionCode = 42, versionName = "4.2" } },
            os = new { minVersion = "13", minSecurityPatch = "2026-09-01" },
            configurations = new[] { new { id = "wifi", values = new { ssid = "dc" } } },
            certificates = new[] { new { name = "wifi-eap", minDaysValid = 30 } },
            batteryHealthFloorPercent = batteryFloor,
        });

    private Task<HttpResponseMessage> PostRawAsync(string path, string body, string mediaType = "application/json") =>
        Hub.Rest.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body, Encoding.UTF8, mediaType));

    private Task<HttpResponseMessage> PutRawAsync(string path, string body) =>
        Hub.Rest.PutAsync(new Uri(path, UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

    private static async Task AssertInvalidAsync(HttpResponseMessage response, string field)
    {
        using (response)
        {
            var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.True(problem["errors"]?[field] is not null, $"expected an error for '{field}', got {problem.ToJsonString()}");
        }
    }

    private static async Task<JsonNode> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {status}, got {response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(body)!;
            Assert.Equal((int)status, problem["status"]!.GetValue<int>());
            return problem;
        }
    }
}
