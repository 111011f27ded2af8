using Grpc.Core;

namespace EdgeMdm.Cloud.Tests;

/// <summary>The gRPC sync service on the real host, over h2c on loopback (docs/adr/0001-sync-protocol.md).</summary>
public sealed class SiteSyncServiceTests : HubPerTest
{
    [Fact]
    public async Task Hello_tells_where_the_hub_stands_gzip_compressed()
    {
        // Arrange
        var (site, sync) = await Hub.AddSiteAsync("DC Leipzig");
        await sync.PushAsync([Log(1, 3)]);
        await PutBlueprintAsync("pickers");
        Hub.ResponseEncodings.Clear();

        // Act
        using var call = sync.Hello(site.SiteId);
        var reply = await call;
        using var anonymousCall = Hub.Sync(site.Credential).Hello("");
        var anonymous = await anonymousCall;

        // Assert
        Assert.Equal((site.SiteId, 3UL, 3UL), (reply.SiteId, reply.AppliedThrough, reply.FeedHead)); // its name, the signing key, the blueprint
        Assert.Equal(["gzip", "gzip"], Hub.ResponseEncodings); // HTTP headers: Grpc.Net.Client hides grpc-* from ResponseHeadersAsync
        Assert.Equal(site.SiteId, anonymous.SiteId); // an empty site_id means "the credential's site"
    }

    [Fact]
    public async Task Push_acks_the_last_sequence_a_replay_changes_nothing_and_a_gap_is_refused()
    {
        // Arrange
        var (site, sync) = await Hub.AddSiteAsync("DC Leipzig");

        // Act: a clean batch, the same batch again (gzip-compressed on the way up), then one past a gap
        var first = await sync.PushAsync([Log(1, 7)]);
        var digest = await Hub.Store.Digest.StateDigestAsync();
        Hub.RequestEncodings.Clear();
        var replay = await sync.PushAsync([Log(1, 7), Log(3, 5)], compressRequest: true);
        var replayEncoding = Hub.RequestEncodings.Single();
        var digestAfterReplay = await Hub.Store.Digest.StateDigestAsync();
        var gap = await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([Log(9, 10)]));
        var filled = await sync.PushAsync([Log(8, 8), Log(9, 10)]);

        // Assert
        Assert.Equal([7UL], first);
        Assert.Equal([7UL, 7UL], replay);
        Assert.Equal("gzip", replayEncoding);
        Assert.Equal(digest, digestAfterReplay);
        Assert.Equal(StatusCode.FailedPrecondition, gap.StatusCode);
        Assert.Equal([8UL, 10UL], filled);
        Assert.Equal(10UL, await Hub.Store.Upstream.AppliedThroughAsync(site.SiteId));
    }

    [Fact]
    public async Task One_push_stream_may_carry_more_than_the_rest_body_limit()
    {
        // Arrange: 12 batches of 500 status reports of ~400 bytes each, ~2.4 MB on one stream
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig");
        var padding = new string('x', 400);
        var batches = Enumerable.Range(0, 12).Select(b => Log(b * 500 + 1, (b + 1) * 500).Select(c =>
        {
            if (c.ChangeCase == SiteChange.ChangeOneofCase.Status)
                c.Status.StatusJson = $"{{\"note\":\"{padding}\"}}";
            return c;
        }).ToList()).ToList();

        // Act
        var acks = await Hub.Sync(site.Credential).PushAsync(batches);

        // Assert
        Assert.Equal(Enumerable.Range(1, 12).Select(b => (ulong)(b * 500)), acks);
    }

    [Fact]
    public async Task A_sites_credential_claiming_another_site_is_permission_denied()
    {
        // Arrange
        var a = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Site A");
        var b = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Site B");

        // Act
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await Hub.Sync(a.Credential).Hello(b.SiteId));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Contains("the credential of site 'site-a' asking for site 'site-b'", denied.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-credential")]
    public async Task Calls_without_a_known_credential_are_unauthenticated(string? credential)
    {
        // Arrange
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig");
        var sync = Hub.Sync(credential);

        // Act
        var hello = await Assert.ThrowsAsync<RpcException>(async () => await sync.Hello(site.SiteId));
        var pull = await Assert.ThrowsAsync<RpcException>(() => sync.PullAsync(0));
        var push = await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([Log(1, 1)]));
        var fetch = await Assert.ThrowsAsync<RpcException>(() => sync.FetchBlobAsync(new string('0', 64))); // refused before it is looked for

        // Assert
        Assert.All([hello, pull, push, fetch], e => Assert.Equal(StatusCode.Unauthenticated, e.StatusCode));
        Assert.All([hello, pull, push, fetch], e => Assert.False(string.IsNullOrEmpty(e.Status.Detail)));
        Assert.Equal(0UL, await Hub.Store.Upstream.AppliedThroughAsync(site.SiteId));
    }

    [Fact]
    public async Task Push_refuses_oversized_batches_and_changes_without_sequence_or_payload()
    {
        // Arrange
        var (_, sync) = await Hub.AddSiteAsync("DC Leipzig");
        var noSequence = Log(1, 2);
        noSequence[1].Sequence = 0;
        var noPayload = Log(1, 2);
        noPayload[1].ClearChange();

        // Act
        var tooBig = await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([Log(1, 501)]));
        var missingSequence = await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([noSequence]));
        var missingPayload = await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([noPayload]));
        var justRight = await sync.PushAsync([Log(1, 500)]);

        // Assert
        Assert.All([tooBig, missingSequence, missingPayload], e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.Contains("at most 500", tooBig.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("no sequence", missingSequence.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("sequence 2 has no payload", missingPayload.Status.Detail, StringComparison.Ordinal);
        Assert.Equal([500UL], justRight);
    }

    [Fact]
    public async Task Pull_returns_what_the_rest_api_appended_in_order_in_bounded_batches()
    {
        // Arrange: five feed changes made through central IT's API
        var site = await CreateSiteAsync("DC Leipzig");
        await PutBlueprintAsync("pickers");
        await PutBlueprintAsync("drivers");
        var token = await PostAsync($"/api/v1/sites/{site.Id}/tokens", new { group = "pickers", uses = 20, expiresInSeconds = 3600 });
        var command = await PostAsync("/api/v1/commands", new { siteId = site.Id, deviceId = "dev-1", type = "reboot", parameters = new { reason = "stuck" } });
        (await Hub.Rest.DeleteAsync(new Uri("/api/v1/blueprints/drivers", UriKind.Relative))).EnsureSuccessStatusCode();
        var sync = Hub.Sync(site.Credential);

        // Act
        var batches = await sync.PullAsync(2, maxChanges: 2); // after its name and the signing key, which every site's feed starts with
        var again = await sync.PullAsync(batches[^1].ThroughPosition);

        // Assert
        Assert.Equal([2, 2, 1], batches.Select(b => b.Changes.Count));
        Assert.Equal([4UL, 6UL, 7UL], batches.Select(b => b.ThroughPosition));
        var changes = batches.SelectMany(b => b.Changes).ToList();
        Assert.Equal([3UL, 4UL, 5UL, 6UL, 7UL], changes.Select(c => c.Position));
        Assert.Equal(
            [HubChange.ChangeOneofCase.BlueprintUpserted, HubChange.ChangeOneofCase.BlueprintUpserted, HubChange.ChangeOneofCase.TokenIssued,
             HubChange.ChangeOneofCase.CommandQueued, HubChange.ChangeOneofCase.BlueprintDeleted],
            changes.Select(c => c.ChangeCase));
        Assert.Equal(("pickers", "drivers", "drivers"), (changes[0].BlueprintUpserted.Group, changes[1].BlueprintUpserted.Group, changes[4].BlueprintDeleted.Group));
        Assert.Equal(token["token"]!.GetValue<string>()[..8], changes[2].TokenIssued.TokenPrefix);
        Assert.Equal((command["commandId"]!.GetValue<string>(), "stuck"), (changes[3].CommandQueued.CommandId, changes[3].CommandQueued.Parameters["reason"]));
        Assert.Empty(again);
    }

    [Fact]
    public async Task Pull_batches_hold_200_changes_by_default_and_never_more_than_500()
    {
        // Arrange
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig");
        for (var i = 0; i < 598; i++) // 600 with the site's name and the signing key at positions 1 and 2
            await Hub.Store.Feed.AppendToFeedAsync(site.SiteId, new HubChange { SiteRenamed = new() { SiteId = site.SiteId, Name = $"name-{i}" } });
        var sync = Hub.Sync(site.Credential);

        // Act
        var byDefault = await sync.PullAsync(0);
        var capped = await sync.PullAsync(0, maxChanges: 10_000);
        var tail = await sync.PullAsync(550, maxChanges: 500);

        // Assert
        Assert.Equal([200, 200, 200], byDefault.Select(b => b.Changes.Count));
        Assert.Equal([500, 100], capped.Select(b => b.Changes.Count));
        Assert.Equal(Enumerable.Range(551, 50).Select(p => (ulong)p), tail.SelectMany(b => b.Changes).Select(c => c.Position));
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private async Task<(string Id, string Credential)> CreateSiteAsync(string name)
    {
        var created = await PostAsync("/api/v1/sites", new { name });
        return (created["siteId"]!.GetValue<string>(), created["credential"]!.GetValue<string>());
    }

    private async Task PutBlueprintAsync(string group)
    {
        using var response = await Hub.Rest.PutAsJsonAsync(
            $"/api/v1/blueprints/{group}", new { apps = new[] { new { packageName = "com.acme.scan", versionCode = 42, versionName = "4.2" } } });
        response.EnsureSuccessStatusCode();
    }

    private async Task<JsonNode> PostAsync(string path, object body)
    {
        using var response = await Hub.Rest.PostAsJsonAsync(path, body);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    /// <summary>Upstream changes numbered <paramref name="from"/>..<paramref name="through"/>: an enrollment and status reports.</summary>
    private static List<SiteChange> Log(int from, int through) =>
        Enumerable.Range(from, through - from + 1).Select(sequence => sequence % 3 == 1
            ? new SiteChange
            {
                Sequence = (ulong)sequence, DeviceId = $"dev-{sequence / 3}", AtUnixMs = 1_000 + sequence,
                Enrolled = new() { Serial = $"SN-{sequence / 3}", Model = "TC52", Group = "pickers" },
            }
            : new SiteChange
            {
                Sequence = (ulong)sequence, DeviceId = $"dev-{sequence / 3}", AtUnixMs = 1_000 + sequence,
                Status = new() { StatusJson = $"{{\"battery\":{sequence % 100}}}", Compliant = true, LastCheckinUnixMs = 1_000 + sequence },
            }).ToList();
}
