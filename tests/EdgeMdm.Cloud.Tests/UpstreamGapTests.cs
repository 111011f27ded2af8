using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// A site pushing above what the hub holds (the hub's database restored from an older backup, the site having deleted
/// what the hub acknowledged): refused with FAILED_PRECONDITION naming both positions, logged once per episode, and
/// resumed by a push from Hello's applied_through + 1.
/// </summary>
public sealed class UpstreamGapTests : HubPerTest
{
    [Fact]
    public async Task A_push_above_a_gap_is_failed_precondition_round_after_round_logged_once_until_the_site_resends()
    {
        // Arrange: the hub holds 1..4; the site pushes from 9 on, round after round
        var (site, sync) = await Hub.AddSiteAsync("DC Leipzig");
        await sync.PushAsync([Changes(1, 4)]);

        // Act
        var rounds = new List<RpcException>();
        for (var round = 0; round < 3; round++)
        {
            using var hello = sync.Hello(site.SiteId);
            Assert.Equal(4UL, (await hello).AppliedThrough);
            rounds.Add(await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([Changes(9, 12)])));
        }

        var resent = await sync.PushAsync([Changes(5, 12)]); // what the site holds, sent again from applied_through + 1
        var later = await Assert.ThrowsAsync<RpcException>(() => sync.PushAsync([Changes(13, 14), Changes(16, 17)])); // 13, 14 apply; 16 does not

        // Assert
        Assert.All(rounds, e => Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode));
        Assert.Equal(
            "the hub holds this site's changes through 4 and cannot apply 9: it lacks the 4 changes between them; " +
            "push from 5 (Hello's applied_through + 1), sending again as new changes what the site no longer holds",
            rounds[0].Status.Detail);
        Assert.Equal([12UL], resent);
        Assert.Equal(StatusCode.FailedPrecondition, later.StatusCode);
        Assert.StartsWith("the hub holds this site's changes through 14 and cannot apply 16: it lacks the 1 changes", later.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(14UL, await Hub.Store.Upstream.AppliedThroughAsync(site.SiteId));
        var warnings = Hub.Logs.Entries.Where(e => e.EventId.Id == 2014).ToList();
        Assert.Equal(
            ["Site dc-leipzig pushed 9 but the hub holds through 4: the hub lacks 4 changes; the site must resend from its own records",
             "Site dc-leipzig pushed 16 but the hub holds through 14: the hub lacks 1 changes; the site must resend from its own records"],
            warnings.Select(w => w.Message));
        Assert.All(warnings, w => Assert.Equal((LogLevel.Warning, null), (w.Level, w.Exception)));
    }

    [Fact]
    public async Task Gaps_of_two_sites_are_two_episodes()
    {
        // Arrange
        var a = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Site A");
        var b = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Site B");

        // Act
        foreach (var credential in new[] { a.Credential, b.Credential, a.Credential, b.Credential })
            await Assert.ThrowsAsync<RpcException>(() => Hub.Sync(credential).PushAsync([Changes(3, 3)]));

        // Assert
        Assert.Equal(["site-a", "site-b"], Hub.Logs.Entries.Where(e => e.EventId.Id == 2014).Select(e => e.Message.Split(' ')[1]));
    }

    private static List<SiteChange> Changes(int from, int through) =>
        Enumerable.Range(from, through - from + 1).Select(sequence => new SiteChange
        {
            Sequence = (ulong)sequence, AtUnixMs = 1_000 + sequence, DeviceId = "dev-1",
            Status = new() { StatusJson = $"{{\"battery\":{sequence}}}", Compliant = true, LastCheckinUnixMs = 1_000 + sequence },
        }).ToList();
}
