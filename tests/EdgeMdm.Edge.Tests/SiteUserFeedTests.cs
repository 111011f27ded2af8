using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Edge.Tests;

/// <summary>Site users come down the hub's feed as hashes; the appliance applies them idempotently and checks sign-ins offline.</summary>
public sealed class SiteUserFeedTests
{
    // Few iterations keep the test fast; the appliance reads the count from the hash, whatever it is.
    private static readonly string SamHash = PasswordHash.Create("sam's floor password", 1_000);
    private static readonly string SamNewHash = PasswordHash.Create("sam's new password", 1_000);

    private static HubChange Upserted(ulong position, string user, string role, string hash) => new()
    {
        Position = position,
        AtUnixMs = 1_700_000_000_000 + (long)position,
        SiteUserUpserted = new SiteUserUpserted { UserName = user, Role = role, PasswordHash = hash },
    };

    private static HubChange Removed(ulong position, string user) => new()
    {
        Position = position,
        SiteUserRemoved = new SiteUserRemoved { UserName = user },
    };

    [Fact]
    public async Task An_upserted_site_user_verifies_with_their_password_only()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();

        // Act
        await HubCatalog.ApplyAsync(server, Upserted(1, "sam", SiteUserRoles.Operator, SamHash));

        // Assert
        var sam = server.Get<ISiteUserDirectory>().VerifySiteUser("sam", "sam's floor password");
        Assert.Equal(("sam", "operator"), (sam?.UserName, sam?.Role));
        Assert.Null(server.Get<ISiteUserDirectory>().VerifySiteUser("sam", "sam's floor passworD"));
        Assert.Null(server.Get<ISiteUserDirectory>().VerifySiteUser("kim", "sam's floor password"));
        Assert.Equal(["sam"], server.Get<ISiteUserDirectory>().ListSiteUsers().Select(u => u.UserName));
    }

    [Fact]
    public async Task Replayed_and_repeated_changes_leave_the_state_of_one_clean_delivery()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        var first = HubCatalog.Batch(Upserted(1, "sam", SiteUserRoles.Operator, SamHash), Upserted(2, "kim", SiteUserRoles.Supervisor, SamHash));
        var second = HubCatalog.Batch(Upserted(3, "sam", SiteUserRoles.Supervisor, SamNewHash), Removed(4, "kim"));

        // Act: each batch twice, then the whole feed again as after a wiped cursor (positions re-sent, changes
        // applied by key), and a removal of a user already gone
        await server.Get<IFeedStore>().ApplyDownstreamAsync(first);
        await server.Get<IFeedStore>().ApplyDownstreamAsync(first);
        await server.Get<IFeedStore>().ApplyDownstreamAsync(second);
        await server.Get<IFeedStore>().ApplyDownstreamAsync(second);
        await HubCatalog.ApplyAsync(server, Upserted(5, "sam", SiteUserRoles.Supervisor, SamNewHash), Removed(6, "kim"));

        // Assert
        var users = server.Get<ISiteUserDirectory>().ListSiteUsers();
        var sam = Assert.Single(users);
        Assert.Equal(("sam", "supervisor"), (sam.UserName, sam.Role));
        Assert.NotNull(server.Get<ISiteUserDirectory>().VerifySiteUser("sam", "sam's new password"));
        Assert.Null(server.Get<ISiteUserDirectory>().VerifySiteUser("sam", "sam's floor password"));
        Assert.Null(server.Get<ISiteUserDirectory>().VerifySiteUser("kim", "sam's floor password"));
        Assert.Equal(6UL, server.Get<IFeedStore>().FeedPosition);
    }
}
