namespace EdgeMdm.Cloud.Tests;

/// <summary>Issue 3 on the real host: each site's backlog and lag from its Hello, and commands to a group or a device found by id.</summary>
public sealed class SyncReportAndGroupCommandTests : HubPerTest
{
    [Fact]
    public async Task Sites_show_the_backlog_and_lag_their_hello_reported()
    {
        // Arrange: a site that reports 40 pending changes, the oldest 10 minutes old, and one that never said hello
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig");
        await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Truck 7");
        var now = DateTimeOffset.UtcNow;
        var before = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/sites");

        // Act
        using var call = Hub.Sync(site.Credential).Hello(new HelloRequest
        {
            ApplianceVersion = "test",
            OutboxDepth = 40,
            OutboxHead = 40,
            OldestPendingUnixMs = now.AddMinutes(-10).ToUnixTimeMilliseconds(),
            UplinkState = "Trying",
            LastSyncUnixMs = now.AddMinutes(-11).ToUnixTimeMilliseconds(),
        });
        await call;
        var reported = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/sites");
        await Hub.Sync(site.Credential).PushAsync([Enumerable.Range(1, 30).Select(i => Enrolled((ulong)i, $"dev-{i}", "pickers"))]);
        var partly = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/sites");

        // Assert
        Assert.All(before!, s => Assert.Null(s!["backlog"]));
        var leipzig = Site(reported!, site.SiteId);
        var truck = Site(reported!, "truck-7");
        Assert.Equal((40UL, "Trying"), (leipzig["backlog"]!.GetValue<ulong>(), leipzig["uplinkState"]!.GetValue<string>()));
        Assert.InRange(leipzig["lagSeconds"]!.GetValue<long>(), 595, 605);
        Assert.NotNull(leipzig["lastSyncAt"]);
        Assert.Equal((null, null, null), (truck["backlog"], truck["lagSeconds"], truck["lastSyncAt"]));
        var drained = Site(partly!, site.SiteId);
        Assert.Equal(10UL, drained["backlog"]!.GetValue<ulong>());
    }

    [Fact]
    public async Task A_command_to_a_group_is_queued_for_each_of_its_devices_across_sites()
    {
        // Arrange
        var a = await SiteEnrollingAsync("Site A", ("dev-1", "pickers"), ("drv-1", "drivers"));
        var b = await SiteEnrollingAsync("Site B", ("dev-2", "pickers"));

        // Act
        using var all = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { group = "pickers", type = "lock", reason = "stock take" });
        using var narrowed = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { group = "pickers", siteId = b, type = "ring" });
        using var empty = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { group = "nobody", type = "ring" });
        using var both = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { group = "pickers", deviceId = "dev-1", type = "ring" });
        var queued = (await all.Content.ReadFromJsonAsync<JsonNode>())!;
        var ids = queued["commandIds"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        var shown = await Task.WhenAll(ids.Select(id => Hub.Rest.GetFromJsonAsync<JsonNode>($"/api/v1/commands/{id}")));

        // Assert
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (all.StatusCode, narrowed.StatusCode));
        Assert.Equal([$"{a}/dev-1", $"{b}/dev-2"], shown.Select(c => $"{c!["siteId"]}/{c["deviceId"]}"));
        Assert.All(shown, c => Assert.Equal(("queued", "stock take", "lock"), (c!["status"]!.GetValue<string>(), c["reason"]!.GetValue<string>(), c["type"]!.GetValue<string>())));
        Assert.Single((await narrowed.Content.ReadFromJsonAsync<JsonNode>())!["commandIds"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, empty.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.NotNull((await both.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!["group"]);
    }

    [Fact]
    public async Task A_command_to_a_device_finds_its_site_or_says_why_it_cannot()
    {
        // Arrange: dev-1 only at A, dev-0 at both
        var a = await SiteEnrollingAsync("Site A", ("dev-0", "pickers"), ("dev-1", "pickers"));
        var b = await SiteEnrollingAsync("Site B", ("dev-0", "pickers"));

        // Act
        using var found = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "dev-1", type = "ring", reason = "where is it" });
        using var ambiguous = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "dev-0", type = "ring" });
        using var named = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { siteId = b, deviceId = "dev-0", type = "ring" });
        using var unknown = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "dev-9", type = "ring" });
        var answer = (await found.Content.ReadFromJsonAsync<JsonNode>())!;
        var shown = await Hub.Rest.GetFromJsonAsync<JsonNode>($"/api/v1/commands/{answer["commandId"]!.GetValue<string>()}");

        // Assert
        Assert.Equal((HttpStatusCode.Created, a), (found.StatusCode, answer["siteId"]!.GetValue<string>()));
        Assert.Equal(("dev-1", a, "where is it"), (shown!["deviceId"]!.GetValue<string>(), shown["siteId"]!.GetValue<string>(), shown["reason"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Conflict, ambiguous.StatusCode);
        Assert.Contains($"dev-0 (serial SN-dev-0) at {a}, dev-0 (serial SN-dev-0) at {b}", (await ambiguous.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, named.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_command_that_expired_before_its_device_checked_in_shows_expired_after_the_sites_next_push()
    {
        // Arrange: queued with a 60 s expiry for a device the site knows
        var (_, sync) = await Hub.AddSiteAsync("DC Leipzig");
        await sync.PushAsync([[Enrolled(1, "dev-1", "pickers")]]);
        using var queued = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "dev-1", type = "lock", expiresInSeconds = 60 });
        var commandId = (await queued.Content.ReadFromJsonAsync<JsonNode>())!["commandId"]!.GetValue<string>();
        var delivered = (await sync.PullAsync(0)).SelectMany(b => b.Changes).Single(c => c.ChangeCase == HubChange.ChangeOneofCase.CommandQueued);
        var expiredAt = DateTimeOffset.FromUnixTimeMilliseconds(delivered.CommandQueued.ExpiresUnixMs).AddSeconds(30);

        // Act: what the appliance writes when the device checks in after the expiry, pushed twice (a lost ack)
        var result = new SiteChange
        {
            Sequence = 2, DeviceId = "dev-1", AtUnixMs = expiredAt.ToUnixTimeMilliseconds(),
            CommandResult = new() { CommandId = commandId, Status = "expired", FinishedUnixMs = expiredAt.ToUnixTimeMilliseconds() },
        };
        var before = await Hub.Rest.GetFromJsonAsync<JsonNode>($"/api/v1/commands/{commandId}");
        await sync.PushAsync([[result], [result]]);
        var after = await Hub.Rest.GetFromJsonAsync<JsonNode>($"/api/v1/commands/{commandId}");

        // Assert
        Assert.Equal("queued", before!["status"]!.GetValue<string>());
        Assert.Equal(("expired", expiredAt), (after!["status"]!.GetValue<string>(), after["finishedAt"]!.GetValue<DateTimeOffset>()));
    }

    /// <summary>A site of the default tenant whose log enrolled these devices, in order; its id.</summary>
    private async Task<string> SiteEnrollingAsync(string name, params (string DeviceId, string Group)[] devices)
    {
        var site = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, name)).SiteId;
        await Hub.Store.Upstream.ApplyUpstreamAsync(
            site, [.. devices.Select((device, i) => Enrolled((ulong)i + 1, device.DeviceId, device.Group))], DateTimeOffset.UtcNow);
        return site;
    }

    private static JsonNode Site(JsonArray sites, string siteId) =>
        sites.Single(s => string.Equals(s!["siteId"]!.GetValue<string>(), siteId, StringComparison.Ordinal))!;

    private static SiteChange Enrolled(ulong sequence, string deviceId, string group) =>
        new() { Sequence = sequence, DeviceId = deviceId, AtUnixMs = 1000, Enrolled = new() { Serial = "SN-" + deviceId, Group = group } };
}
