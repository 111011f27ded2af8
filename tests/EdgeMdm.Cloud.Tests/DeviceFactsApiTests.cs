using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// Issue 26 on the real host: what central IT reads of a device (compliance incl. unknown and stale, named findings,
/// key app, dock), addressing a device by serial, and commands of a type the agent does not know refused at the hub.
/// </summary>
public sealed class DeviceFactsApiTests : HubPerTest
{
    private const string ScannerStatus =
        """{"apps":[{"packageName":"com.acme.scan","versionCode":100,"versionName":"1.0"}],"battery":{"level":64,"charging":true,"docked":true,"dockedAt":{"cradleId":"C1","slot":3}}}""";

    [Fact]
    public async Task A_device_enrolled_two_minutes_ago_that_has_not_reported_is_unknown_and_findings_are_named()
    {
        // Arrange: pickers want scanner 1.2; a fresh device, one silent for three days, one out of line, one in line
        var now = DateTimeOffset.UtcNow;
        await Hub.Store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("pickers") with { Apps = [new RequiredApp("com.acme.scan", 120, "1.2")] });
        var site = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Lyon")).SiteId;
        var bad = Status(5, "dev-bad", now.AddMinutes(-5), ScannerStatus, compliant: false);
        bad.Status.Findings.Add(new DriftFinding { Item = "app:com.acme.scan", Expected = "1.2 (120)", Actual = "1.0 (100)", Severity = "Major" });
        await Hub.Store.Upstream.ApplyUpstreamAsync(site,
        [
            Enrolled(1, "dev-new", now.AddMinutes(-2)),
            Enrolled(2, "dev-silent", now.AddDays(-3)),
            Enrolled(3, "dev-bad", now.AddDays(-3)),
            Enrolled(4, "dev-ok", now.AddDays(-3)),
            bad,
            Status(6, "dev-ok", now.AddMinutes(-1), """{"apps":[{"packageName":"com.acme.scan","versionCode":120,"versionName":"1.2"}]}""", compliant: true),
        ], now);

        // Act
        var devices = (await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/devices"))!.ToDictionary(d => d!["deviceId"]!.GetValue<string>(), d => d!);
        var compliance = (await Hub.Rest.GetFromJsonAsync<JsonNode>("/api/v1/compliance"))!;

        // Assert
        Assert.Equal(
            [("dev-bad", "non-compliant"), ("dev-new", "unknown"), ("dev-ok", "compliant"), ("dev-silent", "stale")],
            devices.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => (d.Key, d.Value["compliance"]!.GetValue<string>())));
        var finding = devices["dev-bad"]["driftFindings"]!.AsArray().Single()!;
        Assert.Equal(("app:com.acme.scan", "1.2 (120)", "1.0 (100)", "Major"),
            (finding["item"]!.GetValue<string>(), finding["expected"]!.GetValue<string>(), finding["actual"]!.GetValue<string>(), finding["severity"]!.GetValue<string>()));
        Assert.Equal((100, 120, "C1/3", 64),
            (devices["dev-bad"]["keyApp"]!["installedVersionCode"]!.GetValue<int>(), devices["dev-bad"]["keyApp"]!["requiredVersionCode"]!.GetValue<int>(),
             devices["dev-bad"]["dock"]!.GetValue<string>(), devices["dev-bad"]["batteryLevel"]!.GetValue<int>()));
        Assert.False(devices["dev-new"]["reported"]!.GetValue<bool>());
        Assert.NotNull(devices["dev-new"]["enrolledAt"]);
        var counts = compliance["sites"]!.AsArray().Single()!;
        Assert.Equal((4, 1, 1, 1, 1), (counts["devices"]!.GetValue<int>(), counts["compliant"]!.GetValue<int>(), counts["nonCompliant"]!.GetValue<int>(), counts["unknown"]!.GetValue<int>(), counts["stale"]!.GetValue<int>()));
        Assert.Equal(86_400, compliance["staleAfterSeconds"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_device_is_addressed_by_serial_and_an_ambiguous_serial_names_its_candidates()
    {
        // Arrange: SN-7 only at A; SN-9 at both sites (two devices, two ids)
        var now = DateTimeOffset.UtcNow;
        var a = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Site A")).SiteId;
        var b = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Site B")).SiteId;
        await Hub.Store.Upstream.ApplyUpstreamAsync(a, [Enrolled(1, "dev-7", now, "SN-7"), Enrolled(2, "dev-9a", now, "SN-9"), Status(3, "dev-7", now, ScannerStatus, compliant: true), Enrolling(4, "dev-7", now)], now);
        await Hub.Store.Upstream.ApplyUpstreamAsync(b, [Enrolled(1, "dev-9b", now, "SN-9")], now);

        // Act
        var shown = (await Hub.Rest.GetFromJsonAsync<JsonNode>("/api/v1/devices/SN-7"))!;
        using var ambiguous = await Hub.Rest.GetAsync(new Uri("/api/v1/devices/SN-9", UriKind.Relative));
        var narrowed = (await Hub.Rest.GetFromJsonAsync<JsonNode>($"/api/v1/devices/SN-9?site={b}"))!;
        using var missing = await Hub.Rest.GetAsync(new Uri("/api/v1/devices/SN-404", UriKind.Relative));
        using var sent = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "SN-7", type = "ring" });
        using var sentAmbiguous = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "SN-9", type = "ring" });
        var queued = (await sent.Content.ReadFromJsonAsync<JsonNode>())!;

        // Assert
        Assert.Equal(("dev-7", a, "Enrolling"), (shown["device"]!["deviceId"]!.GetValue<string>(), shown["device"]!["siteId"]!.GetValue<string>(), shown["history"]!.AsArray().Single()!["toState"]!.GetValue<string>()));
        Assert.Equal("C1/3", shown["device"]!["dock"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, ambiguous.StatusCode);
        var detail = (await ambiguous.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!.GetValue<string>();
        Assert.Contains($"dev-9a (serial SN-9) at {a}, dev-9b (serial SN-9) at {b}", detail, StringComparison.Ordinal);
        Assert.Equal("dev-9b", narrowed["device"]!["deviceId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal((HttpStatusCode.Created, a, "dev-7"), (sent.StatusCode, queued["siteId"]!.GetValue<string>(), queued["deviceId"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Conflict, sentAmbiguous.StatusCode);
    }

    [Fact]
    public async Task A_command_type_the_agent_does_not_know_is_refused_at_the_hub_before_it_is_queued()
    {
        // Arrange
        var (site, sync) = await Hub.AddSiteAsync("DC Lyon");
        await sync.PushAsync([[Enrolled(1, "dev-1", DateTimeOffset.UtcNow)]]);

        // Act
        using var refused = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "dev-1", type = "self-destruct" });
        using var refusedGroup = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { group = "pickers", type = "Lock" });
        var feedAfterRefusals = (await sync.PullAsync(0)).SelectMany(batch => batch.Changes).Count(c => c.ChangeCase == HubChange.ChangeOneofCase.CommandQueued);
        using var accepted = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "SN-dev-1", type = "lock", reason = "lost" });

        // Assert
        Assert.Equal((HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity), (refused.StatusCode, refusedGroup.StatusCode));
        var problem = (await refused.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("Unknown command type", problem["title"]!.GetValue<string>());
        Assert.Equal(
            "the device agent does not know the command type 'self-destruct'; known types: clear-app-data, lock, reboot, refresh-status, ring, staging.retryStep, wipe",
            problem["detail"]!.GetValue<string>());
        Assert.Equal(0, feedAfterRefusals);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        var logged = Assert.Single(Hub.Logs.Entries, e => e.EventId.Id == 2140);
        Assert.Contains($"lock queued for device dev-1 at site {site.SiteId}", logged.Message, StringComparison.Ordinal);
        Assert.EndsWith(": lost", logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Site_users_added_changed_and_removed_are_logged_without_their_password()
    {
        // Arrange
        var site = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Lyon")).SiteId;

        // Act
        using var added = await Hub.Rest.PostAsJsonAsync($"/api/v1/sites/{site}/users", new { userName = "sam", role = "supervisor", password = "correct horse battery staple" });
        using var changed = await Hub.Rest.PostAsJsonAsync($"/api/v1/sites/{site}/users", new { userName = "sam", role = "operator" });
        using var removed = await Hub.Rest.DeleteAsync(new Uri($"/api/v1/sites/{site}/users/sam", UriKind.Relative));

        // Assert
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.NoContent), (added.StatusCode, changed.StatusCode, removed.StatusCode));
        var lines = Hub.Logs.Entries.Where(e => e.EventId.Id is >= 2145 and <= 2147).ToList();
        Assert.Equal([2145, 2146, 2147], lines.Select(e => e.EventId.Id));
        Assert.StartsWith($"Site user sam added to site {site} as supervisor by ", lines[0].Message, StringComparison.Ordinal);
        Assert.StartsWith($"Site user sam removed from site {site} by ", lines[2].Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Hub.Logs.Entries, e => e.Message.Contains("horse", StringComparison.Ordinal));
    }

    private static SiteChange Enrolled(ulong sequence, string deviceId, DateTimeOffset at, string? serial = null) => new()
    {
        Sequence = sequence, DeviceId = deviceId, AtUnixMs = at.ToUnixTimeMilliseconds(),
        Enrolled = new() { Serial = serial ?? "SN-" + deviceId, Group = "pickers" },
    };

    private static SiteChange Enrolling(ulong sequence, string deviceId, DateTimeOffset at) => new()
    {
        Sequence = sequence, DeviceId = deviceId, AtUnixMs = at.ToUnixTimeMilliseconds(),
        Transitioned = new() { ToState = "Enrolling", Actor = "device", Reason = "enrolled" },
    };

    private static SiteChange Status(ulong sequence, string deviceId, DateTimeOffset at, string statusJson, bool compliant) => new()
    {
        Sequence = sequence, DeviceId = deviceId, AtUnixMs = at.ToUnixTimeMilliseconds(),
        Status = new() { StatusJson = statusJson, Compliant = compliant, LastCheckinUnixMs = at.ToUnixTimeMilliseconds() },
    };
}
