using Grpc.Core;

namespace EdgeMdm.Cloud.Tests;

/// <summary>Custody events pushed over the real sync, read and verified through the REST API of the running hub.</summary>
public sealed class CustodyApiTests : HubPerTest
{
    [Fact]
    public async Task Events_pushed_by_a_site_are_listed_filtered_and_verified_over_rest()
    {
        // Arrange
        var (site, sync) = await Hub.AddSiteAsync("DC Custody");
        var log = HubStoreConformance.CustodyLog(hops: 3);

        // Act: the log, then the same again (a replay changes nothing)
        Assert.Equal([(ulong)log.Count, (ulong)log.Count], await sync.PushAsync([log, log]));
        var all = JsonNode.Parse(await Hub.Rest.GetStringAsync($"/api/v1/sites/{site.SiteId}/custody"))!.AsArray();
        var device = JsonNode.Parse(await Hub.Rest.GetStringAsync($"/api/v1/sites/{site.SiteId}/custody?device=SN-0&from=2026-11-20&to=2026-11-20"))!.AsArray();
        var verdict = JsonNode.Parse(await Hub.Rest.GetStringAsync($"/api/v1/sites/{site.SiteId}/custody/verify"))!;
        using var badDate = await Hub.Rest.GetAsync($"/api/v1/sites/{site.SiteId}/custody?from=yesterday");
        using var unknownSite = await Hub.Rest.GetAsync("/api/v1/sites/no-such-site/custody/verify");

        // Assert
        Assert.Equal(6, all.Count);
        Assert.Equal(3, device.Count);
        Assert.All(device, e => Assert.Equal("dev-0", (string)e!["subject"]!));
        Assert.Equal("", (string)device[0]!["previousHash"]!);
        Assert.Equal((string)device[0]!["hash"]!, (string)device[1]!["previousHash"]!);
        Assert.Equal((2, 6, true), ((int)verdict["chains"]!, (int)verdict["events"]!, (bool)verdict["allVerify"]!));
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.NotFound), (badDate.StatusCode, unknownSite.StatusCode));
    }

    [Fact]
    public async Task A_custody_event_with_a_malformed_hash_is_refused_whole_and_nothing_is_stored()
    {
        var (site, sync) = await Hub.AddSiteAsync("DC Custody");
        var log = HubStoreConformance.CustodyLog(hops: 1);
        log[^1].CustodyRecorded.Hash = "not-a-hash";

        var refused = await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([log]));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("custody_recorded.hash", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(JsonNode.Parse(await Hub.Rest.GetStringAsync($"/api/v1/sites/{site.SiteId}/custody"))!.AsArray());
    }
}
