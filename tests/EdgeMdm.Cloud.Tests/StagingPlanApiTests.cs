using System.Text;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Cloud.Tests;

/// <summary>Staging plans through the REST API and the feed on the real host, every log level captured.</summary>
public sealed class StagingPlanApiTests() : HubPerTest(builder => builder.Logging.SetMinimumLevel(LogLevel.Trace))
{
    private const string Psk = "Floor-PSK-7f3a9c21";
    private const string Password = "Peap-Password-55e1";

    private static string Plan(string psk = Psk) =>
        $$$"""
        {"name":"scanner-standard","steps":[
          {"kind":"enroll"},
          {"kind":"managedConfig","packageName":"com.zebra.oemconfig.common","values":{"scanner.decoders.qr":"true"}},
          {"kind":"installApps","packageNames":[]},
          {"kind":"wifi","ssid":"dc-floor","security":"wpa2-psk","psk":"{{{psk}}}"},
          {"kind":"wifi","id":"wifi-office","ssid":"office","security":"eap-peap","identity":"scanner@acme.example","password":"{{{Password}}}"},
          {"kind":"pairPeripheral","peripheral":"ring-scanner","addressPattern":"00:1B:*"},
          {"kind":"settings","values":{"screen.timeoutSeconds":"300"}},
          {"kind":"verify"}]}
        """;

    [Fact]
    public async Task A_plan_is_stored_listed_redacted_fed_in_clear_to_the_site_and_its_secret_is_nowhere_at_rest_or_in_logs()
    {
        // Arrange: a site of the tenant exists before the plan
        var (site, sync) = await Hub.AddSiteAsync("DC Leipzig");

        // Act
        using var created = await PutAsync("scanner-standard", Plan());
        using var again = await PutAsync("scanner-standard", Plan());
        var list = await Hub.Rest.GetStringAsync("/api/v1/staging-plans");
        var one = await Hub.Rest.GetStringAsync("/api/v1/staging-plans/scanner-standard");
        using var compare = await Hub.Rest.PostAsync("/api/v1/staging-plans/scanner-standard/compare", Json(Plan("Another-PSK-0000")));
        var feed = (await sync.PullAsync(0)).SelectMany(b => b.Changes).ToList();

        // Assert: stored once, shown redacted, compared without values, fed in clear
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (created.StatusCode, again.StatusCode));
        Assert.False((bool)(await again.Content.ReadFromJsonAsync<JsonNode>())!["changed"]!);
        foreach (var shown in new[] { list, one })
        {
            Assert.DoesNotContain(Psk, shown, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, shown, StringComparison.Ordinal);
            Assert.Contains("\"psk\":\"(secret)\"", shown, StringComparison.Ordinal);
        }

        Assert.Matches("^[0-9a-f]{32}$", (string)JsonNode.Parse(one)!["contentHash"]!);
        var comparison = (await compare.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal(["steps[3].psk changed"], comparison["changes"]!.AsArray().Select(c => (string)c!));
        var upserted = Assert.Single(feed, c => c.ChangeCase == HubChange.ChangeOneofCase.StagingPlanUpserted).StagingPlanUpserted;
        Assert.Equal("scanner-standard", upserted.Name);
        Assert.Contains(Psk, upserted.PlanJson, StringComparison.Ordinal);
        Assert.Equal("", upserted.PlanJsonProtected);
        Assert.Equal((string)JsonNode.Parse(one)!["contentHash"]!, upserted.PlanHash);

        // No secret in the database's files (the SQLite file, its WAL) nor in anything logged.
        await SecretsAtRest.AssertNowhereAsync(Hub, Psk, Password);
    }

    [Fact]
    public async Task A_bad_plan_is_400_naming_every_field_and_nothing_is_stored()
    {
        // Act
        using var response = await PutAsync("p", """{"steps":[{"kind":"wifi","ssid":"","security":"wpa2-psk","psk":"short"},{"kind":"pairPeripheral","peripheral":"printer","addressPattern":"zz"}]}""");
        using var unknownKind = await PutAsync("p", """{"steps":[{"kind":"teleport"}]}""");

        // Assert
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (response.StatusCode, unknownKind.StatusCode));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(["steps[0].psk", "steps[0].ssid", "steps[1].addressPattern"], JsonNode.Parse(body)!["errors"]!.AsObject().Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("short", body.Replace("such as", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal("[]", await Hub.Rest.GetStringAsync("/api/v1/staging-plans"));
    }

    [Fact]
    public async Task A_blueprint_must_name_a_stored_plan_and_a_named_plan_cannot_be_deleted()
    {
        // Act
        using var unknown = await Hub.Rest.PutAsync("/api/v1/blueprints/pickers", Json("""{"apps":[],"stagingPlan":"scanner-standard"}"""));
        using var plan = await PutAsync("scanner-standard", Plan());
        using var named = await Hub.Rest.PutAsync("/api/v1/blueprints/pickers", Json("""{"apps":[],"stagingPlan":"scanner-standard"}"""));
        using var refused = await Hub.Rest.DeleteAsync("/api/v1/staging-plans/scanner-standard");
        using var unnamed = await Hub.Rest.PutAsync("/api/v1/blueprints/pickers", Json("""{"apps":[]}"""));
        using var deleted = await Hub.Rest.DeleteAsync("/api/v1/staging-plans/scanner-standard");
        using var gone = await Hub.Rest.GetAsync("/api/v1/staging-plans/scanner-standard");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("stagingPlan", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Conflict), (plan.StatusCode, named.StatusCode, refused.StatusCode));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.NoContent, HttpStatusCode.NotFound), (unnamed.StatusCode, deleted.StatusCode, gone.StatusCode));
        Assert.Null((await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/blueprints"))![0]!["stagingPlan"]);
    }

    [Fact]
    public async Task Step_reports_from_a_site_are_recorded_once_and_read_per_site()
    {
        // Arrange
        var (site, sync) = await Hub.AddSiteAsync("DC Leipzig");
        SiteChange Step(ulong sequence, string step, string state, uint attempts, string error = "") => new()
        {
            Sequence = sequence, DeviceId = "dev-1", AtUnixMs = 1_700_000_000_000 + (long)sequence,
            StagingStepReported = new() { Plan = "scanner-standard", PlanHash = "abc", StepId = step, Kind = step, State = state, Attempts = attempts, Error = error, StartedUnixMs = 1_700_000_000_000 },
        };

        // Act: wifi fails once then succeeds; the batch is delivered twice, and then the failure again under a new
        // sequence (a site that numbered its log again): were it recorded, it would be the step's latest state
        List<SiteChange> batch = [Step(1, "enroll", "succeeded", 1), Step(2, "wifi", "running", 1), Step(3, "wifi", "failed", 1, "network not found"), Step(4, "wifi", "succeeded", 2)];
        await sync.PushAsync([batch]);
        await sync.PushAsync([batch, [Step(5, "wifi", "failed", 1, "network not found")]]);
        var steps = (await Hub.Rest.GetFromJsonAsync<JsonArray>($"/api/v1/sites/{site.SiteId}/staging"))!;
        using var noSite = await Hub.Rest.GetAsync("/api/v1/sites/nowhere/staging");

        // Assert
        Assert.Equal([("enroll", "succeeded", 1), ("wifi", "succeeded", 2)], steps.Select(s => ((string)s!["stepId"]!, (string)s["state"]!, (int)s["attempts"]!)));
        Assert.Equal(HttpStatusCode.NotFound, noSite.StatusCode);
        Assert.Equal(5UL, await Hub.Store.Upstream.AppliedThroughAsync(site.SiteId));
    }

    private Task<HttpResponseMessage> PutAsync(string name, string json) => Hub.Rest.PutAsync($"/api/v1/staging-plans/{name}", Json(json));

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
