using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Cloud.Fleet;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Security;
using Google.Protobuf;

namespace EdgeMdm.Cloud.Tests;

// Tenants (ITenantStore), accounts and API tokens (IAccountStore, IAdminTokens) and site users (ISiteUserStore),
// on every backend.
public abstract partial class HubStoreConformance
{
    // Stands for a PBKDF2 hash: the store keeps and feeds whatever the API hashed, it never hashes itself.
    private const string SomeHash = "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=";

    private static readonly Dictionary<string, string> NoParameters = new(StringComparer.Ordinal);

    [SkippableFact]
    public async Task A_tenant_cannot_see_or_change_another_tenants_site()
    {
        // Arrange: Acme's site with a device, a blueprint, a command and a user
        var store = await NewStoreAsync();
        var acme = (await store.Tenants.AddTenantAsync("Acme")).TenantId;
        var globex = (await store.Tenants.AddTenantAsync("Globex")).TenantId;
        var site = (await store.Sites.AddSiteAsync(acme, "Lyon DC")).SiteId;
        await store.Blueprints.UpsertBlueprintAsync(acme, Blueprint.Empty("pickers"));
        await store.Upstream.ApplyUpstreamAsync(site, SiteLog(devices: 2), Now);
        var command = await store.Commands.QueueCommandAsync(acme, site, "dev-0", "ring", NoParameters, null, "alice");
        await store.SiteUsers.UpsertSiteUserAsync(acme, site, "sam", "operator", SomeHash);
        var acmeFeedHead = await store.Feed.FeedHeadAsync(site);

        // Act / Assert: to Globex, every one of them is as if it did not exist
        Assert.Empty(await store.Sites.ListSitesAsync(globex));
        Assert.False(await store.Sites.SiteExistsAsync(globex, site));
        Assert.Empty(await store.Blueprints.ListBlueprintsAsync(globex));
        Assert.Empty(await store.Fleet.ListDevicesAsync(globex));
        Assert.Empty(await store.Fleet.ListDevicesAsync(globex, site));
        Assert.Empty(await store.Fleet.FindDeviceAsync(globex, "dev-0"));
        Assert.Empty(await store.Fleet.ListGroupAsync(globex, "pickers"));
        Assert.Empty(await store.Fleet.ComplianceAsync(globex, Now, TimeSpan.FromHours(24)));
        Assert.Empty(await store.Fleet.ListTransitionsAsync(globex, site, "dev-0"));
        Assert.Null(await store.Commands.CommandStatusAsync(globex, command));
        Assert.Null(await store.SiteUsers.ListSiteUsersAsync(globex, site));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.EnrollmentTokens.IssueTokenAsync(globex, site, "pickers", 5, Now.AddDays(1)));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Commands.QueueCommandAsync(globex, site, "dev-0", "wipe", NoParameters, null, "mallory"));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.SiteUsers.UpsertSiteUserAsync(globex, site, "mallory", "supervisor", SomeHash));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.SiteUsers.RemoveSiteUserAsync(globex, site, "sam"));
        Assert.False(await store.Blueprints.DeleteBlueprintAsync(globex, "pickers"));

        // ...and nothing of Acme's changed
        Assert.Equal(acmeFeedHead, await store.Feed.FeedHeadAsync(site));
        Assert.Equal(2, (await store.Fleet.ListDevicesAsync(acme, site)).Count);
        Assert.Equal(["sam"], (await store.SiteUsers.ListSiteUsersAsync(acme, site))!.Select(u => u.UserName));
        Assert.Single(await store.Blueprints.ListBlueprintsAsync(acme));
        Assert.Equal(CommandStatuses.Queued, (await store.Commands.CommandStatusAsync(acme, command))!.Status);
    }

    [SkippableFact]
    public async Task A_group_command_for_sites_of_two_tenants_is_refused_whole()
    {
        // Arrange
        var (store, _, own, foreign) = await StoreWithTwoTenantsAsync("Globex", "Own DC", "Their DC");

        // Act
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Commands.QueueCommandsAsync(
            Tenant, [new CommandTarget(own, "dev-0"), new CommandTarget(foreign, "dev-0")], "ring", NoParameters, null, "alice"));

        // Assert: all or none
        Assert.Equal((Named, Named), (await store.Feed.FeedHeadAsync(own), await store.Feed.FeedHeadAsync(foreign)));
    }

    [SkippableFact]
    public async Task A_blueprint_fans_out_to_its_own_tenants_sites_only()
    {
        // Arrange
        var (store, acme, defaultSite, acmeSite) = await StoreWithTwoTenantsAsync("Acme", "Lyon DC", "Lyon DC");

        // Act: both tenants have a 'pickers' group, each its own
        await store.Blueprints.UpsertBlueprintAsync(acme, Blueprint.Empty("pickers") with { BatteryHealthFloorPercent = 70 });
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Blueprint.Empty("pickers") with { BatteryHealthFloorPercent = 90 });
        await store.Blueprints.DeleteBlueprintAsync(Tenant, "pickers");
        var laterAcmeSite = (await store.Sites.AddSiteAsync(acme, "Truck 7")).SiteId;

        // Assert
        var acmeFeed = await store.Feed.ReadFeedAsync(acmeSite, Named, 10);
        Assert.Equal([HubChange.ChangeOneofCase.BlueprintUpserted], acmeFeed.Select(c => c.ChangeCase));
        Assert.Contains("\"batteryHealthFloorPercent\":70", acmeFeed[0].BlueprintUpserted.BlueprintJson, StringComparison.Ordinal);
        var defaultFeed = await store.Feed.ReadFeedAsync(defaultSite, Named, 10);
        Assert.Equal([HubChange.ChangeOneofCase.BlueprintUpserted, HubChange.ChangeOneofCase.BlueprintDeleted], defaultFeed.Select(c => c.ChangeCase));
        Assert.Contains("\"batteryHealthFloorPercent\":90", defaultFeed[0].BlueprintUpserted.BlueprintJson, StringComparison.Ordinal);
        var later = Assert.Single(await store.Feed.ReadFeedAsync(laterAcmeSite, Named, 10));
        Assert.Contains("\"batteryHealthFloorPercent\":70", later.BlueprintUpserted.BlueprintJson, StringComparison.Ordinal);
        Assert.Equal(70, Assert.Single(await store.Blueprints.ListBlueprintsAsync(acme)).BatteryHealthFloorPercent);
        Assert.Empty(await store.Blueprints.ListBlueprintsAsync(Tenant));
    }

    [SkippableFact]
    public async Task Tenants_never_compete_for_site_ids()
    {
        // Arrange
        var store = await NewStoreAsync();
        var acme = (await store.Tenants.AddTenantAsync("Acme Retail")).TenantId;

        // Act: the same name in both tenants, and a default-tenant name that looks like Acme's prefix
        var inDefault = (await store.Sites.AddSiteAsync(Tenant, "Lyon DC")).SiteId;
        var inAcme = (await store.Sites.AddSiteAsync(acme, "Lyon DC")).SiteId;
        var lookalike = (await store.Sites.AddSiteAsync(Tenant, "Acme Retail Lyon DC")).SiteId;

        // Assert
        Assert.Equal(("acme-retail", "lyon-dc", "acme-retail.lyon-dc", "acme-retail-lyon-dc"), (acme, inDefault, inAcme, lookalike));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Sites.AddSiteAsync(acme, "lyon dc"));
        Assert.Equal(["acme-retail.lyon-dc"], (await store.Sites.ListSitesAsync(acme)).Select(s => s.SiteId));
    }

    [SkippableFact]
    public async Task Tenants_are_listed_with_the_default_and_a_taken_id_is_refused()
    {
        // Arrange
        var store = await NewStoreAsync();

        // Act
        var acme = await store.Tenants.AddTenantAsync("Acme");

        // Assert
        Assert.Equal(["acme", TenantIds.Default], (await store.Tenants.ListTenantsAsync()).Select(t => t.TenantId));
        Assert.Equal(Now, acme.CreatedAt);
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Tenants.AddTenantAsync("ACME"));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.AdminTokens.CreateApiTokenAsync("no-such-tenant", "ci"));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Sites.AddSiteAsync("no-such-tenant", "Lyon DC"));
        Assert.Equal(new ApiCaller("acme", "ops", null) { ExpiresAt = Now + HubGrant.DefaultTokenLifetime }, await store.AdminTokens.AuthenticateApiTokenAsync(await store.AdminTokens.CreateApiTokenAsync("acme", "ops")));
    }

    [SkippableFact]
    public async Task Api_tokens_authenticate_by_their_clear_value()
    {
        // Arrange
        var store = await NewStoreAsync();

        // Act
        var token = await store.AdminTokens.CreateApiTokenAsync(Tenant, "ci");

        // Assert
        Assert.Equal(new ApiCaller(Tenant, "ci", null) { ExpiresAt = Now + HubGrant.DefaultTokenLifetime }, await store.AdminTokens.AuthenticateApiTokenAsync(token));
        Assert.Null(await store.AdminTokens.AuthenticateApiTokenAsync(token.ToUpperInvariant()));
        Assert.Null(await store.AdminTokens.AuthenticateApiTokenAsync(""));
    }

    [SkippableFact]
    public async Task An_accounts_sign_in_token_acts_in_its_tenant_until_it_expires()
    {
        // Arrange
        var store = await NewStoreAsync();
        var acme = (await store.Tenants.AddTenantAsync("Acme")).TenantId;
        await store.Accounts.AddAccountAsync(acme, "alice", SomeHash);
        await store.Accounts.AddAccountAsync(Tenant, "alice", SomeHash); // the same name in another tenant is another person

        // Act
        var token = await store.Accounts.IssueAccountTokenAsync(acme, "alice", Now.AddDays(30));
        var fresh = await store.AdminTokens.AuthenticateApiTokenAsync(token);
        Time.Advance(TimeSpan.FromDays(30));
        var expired = await store.AdminTokens.AuthenticateApiTokenAsync(token);

        // Assert
        Assert.Equal(new ApiCaller(acme, "alice", "alice") { ExpiresAt = Now.AddDays(30) }, fresh);
        Assert.False(fresh!.IsExpiredAt(Now));
        Assert.True(expired!.IsExpiredAt(Time.GetUtcNow())); // answered, so the API can say it expired
        Assert.Equal(SomeHash, await store.Accounts.AccountPasswordHashAsync(acme, "alice"));
        Assert.Null(await store.Accounts.AccountPasswordHashAsync("globex", "alice"));
        Assert.Equal(["alice"], (await store.Accounts.ListAccountsAsync(acme)).Select(a => a.UserName));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Accounts.AddAccountAsync(acme, "alice", SomeHash));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Accounts.IssueAccountTokenAsync(acme, "bob", Now.AddDays(1)));
    }

    [SkippableFact]
    public async Task Roles_and_site_scopes_are_kept_and_a_sign_in_token_follows_its_accounts_role()
    {
        // Arrange
        var store = await NewStoreAsync();
        var scoped = new HubGrant(HubRoles.SiteOperator, ["paris", "lyon-dc"]);
        await store.Accounts.AddAccountAsync(Tenant, "olga", SomeHash, scoped);
        var token = await store.Accounts.IssueAccountTokenAsync(Tenant, "olga", Now.AddDays(1));
        var viewerToken = await store.AdminTokens.CreateApiTokenAsync(Tenant, "dashboards", new HubGrant(HubRoles.Viewer, []), TimeSpan.FromDays(7));

        // Act
        var before = await store.AdminTokens.AuthenticateApiTokenAsync(token);
        var changed = await store.Accounts.SetAccountGrantAsync(Tenant, "olga", new HubGrant(HubRoles.Viewer, []));
        var after = await store.AdminTokens.AuthenticateApiTokenAsync(token);

        // Assert
        Assert.Equal((HubRoles.SiteOperator, "lyon-dc paris"), (before!.Role, string.Join(' ', before.Sites)));
        Assert.True(changed);
        Assert.False(await store.Accounts.SetAccountGrantAsync(Tenant, "nobody", HubGrant.TenantAdmin));
        Assert.Equal((HubRoles.Viewer, 0), (after!.Role, after.Sites.Count));
        Assert.Equal(HubRoles.Viewer, (await store.Accounts.AccountCredentialAsync(Tenant, "olga"))!.Grant.Role);
        Assert.Equal(HubRoles.Viewer, Assert.Single(await store.Accounts.ListAccountsAsync(Tenant)).Grant.Role);
        var viewer = await store.AdminTokens.AuthenticateApiTokenAsync(viewerToken);
        Assert.Equal((HubRoles.Viewer, Now.AddDays(7)), (viewer!.Role, viewer.ExpiresAt));
        await Assert.ThrowsAsync<ArgumentException>(() => store.AdminTokens.CreateApiTokenAsync(Tenant, "bad", new HubGrant(HubRoles.SiteOperator, [])));
    }

    [SkippableFact]
    public async Task Removing_an_account_revokes_its_tokens_and_only_its_own()
    {
        // Arrange
        var store = await NewStoreAsync();
        await store.Accounts.AddAccountAsync(Tenant, "alice", SomeHash);
        await store.Accounts.AddAccountAsync(Tenant, "bob", SomeHash);
        var alices = await store.Accounts.IssueAccountTokenAsync(Tenant, "alice", Now.AddDays(30));
        var bobs = await store.Accounts.IssueAccountTokenAsync(Tenant, "bob", Now.AddDays(30));
        var operators = await store.AdminTokens.CreateApiTokenAsync(Tenant, "alice"); // an operator-made token named like her

        // Act
        var removed = await store.Accounts.RemoveAccountAsync(Tenant, "alice");
        var again = await store.Accounts.RemoveAccountAsync(Tenant, "alice");

        // Assert
        Assert.Equal((true, false), (removed, again));
        Assert.Null(await store.AdminTokens.AuthenticateApiTokenAsync(alices));
        Assert.NotNull(await store.AdminTokens.AuthenticateApiTokenAsync(bobs));
        Assert.NotNull(await store.AdminTokens.AuthenticateApiTokenAsync(operators));
        Assert.Equal(["bob"], (await store.Accounts.ListAccountsAsync(Tenant)).Select(a => a.UserName));
    }

    [SkippableFact]
    public async Task Site_user_changes_go_down_the_sites_feed_with_the_hash_only()
    {
        // Arrange
        var (store, site) = await StoreWithSiteAsync();
        var other = (await store.Sites.AddSiteAsync(Tenant, "Other DC")).SiteId;
        const string NewHash = "pbkdf2-sha256$1000$bmV3c2FsdA==$bmV3aGFzaA==";

        // Act
        var created = await store.SiteUsers.UpsertSiteUserAsync(Tenant, site, "sam", "operator", SomeHash);
        var replaced = await store.SiteUsers.UpsertSiteUserAsync(Tenant, site, "sam", "supervisor", NewHash);
        var removed = await store.SiteUsers.RemoveSiteUserAsync(Tenant, site, "sam");
        var removedAgain = await store.SiteUsers.RemoveSiteUserAsync(Tenant, site, "sam");
        await store.SiteUsers.UpsertSiteUserAsync(Tenant, site, "kim", "operator", SomeHash);

        // Assert
        Assert.Equal((true, false, true, false), (created, replaced, removed, removedAgain));
        var feed = await store.Feed.ReadFeedAsync(site, Named, 10);
        Assert.Equal(
            [HubChange.ChangeOneofCase.SiteUserUpserted, HubChange.ChangeOneofCase.SiteUserUpserted, HubChange.ChangeOneofCase.SiteUserRemoved, HubChange.ChangeOneofCase.SiteUserUpserted],
            feed.Select(c => c.ChangeCase));
        Assert.Equal(("sam", "supervisor", NewHash), (feed[1].SiteUserUpserted.UserName, feed[1].SiteUserUpserted.Role, feed[1].SiteUserUpserted.PasswordHash));
        Assert.Equal("sam", feed[2].SiteUserRemoved.UserName);
        var kim = Assert.Single((await store.SiteUsers.ListSiteUsersAsync(Tenant, site))!);
        Assert.Equal(("kim", "operator"), (kim.UserName, kim.Role));
        Assert.Empty((await store.SiteUsers.ListSiteUsersAsync(Tenant, other))!);
        Assert.Equal(Named, await store.Feed.FeedHeadAsync(other));
    }

    [SkippableFact]
    public async Task A_database_from_before_tenants_upgrades_into_the_default_tenant_without_losing_anything()
    {
        // Arrange: the schema as the hub left it before migration 0003, with a site and everything around it
        var connectionString = await NewDatabaseAsync();
        var blueprintJson = """{"group":"pickers","apps":[],"configurations":[],"certificates":[]}""";
        await using (var db = await HubStorage.OpenDatabaseAsync(connectionString))
        {
            await SchemaMigrator.MigrateAsync(db, default, throughVersion: 2);
            await using var s = await db.BeginAsync(write: true, default);
            await s.ExecuteAsync(
                "INSERT INTO sites (site_id, name, credential_hash, applied_through, feed_head, created_at) VALUES ('lyon-dc', 'Lyon DC', ?, 3, 1, 1)",
                CanonicalHash.Sha256Hex("site-credential"));
            await s.ExecuteAsync("INSERT INTO blueprints (group_name, blueprint_json, token, updated_at) VALUES ('pickers', ?, 'tok', 1)", blueprintJson);
            await s.ExecuteAsync("INSERT INTO feed (site_id, position, at, change) VALUES ('lyon-dc', 1, 1, ?)", new HubChange { Position = 1 }.ToByteArray());
            await s.ExecuteAsync("INSERT INTO api_tokens (token_hash, name, created_at) VALUES (?, 'ci', 1)", CanonicalHash.Sha256Hex("old-api-token"));
            await s.ExecuteAsync("INSERT INTO enrollment_tokens (token_hash, site_id, group_name, uses, expires_at, created_at) VALUES ('h', 'lyon-dc', 'pickers', 5, 9, 1)");
            await s.ExecuteAsync("INSERT INTO devices (site_id, device_id, group_name, state) VALUES ('lyon-dc', 'dev-1', 'pickers', 'Active')");
            await s.ExecuteAsync(
                "INSERT INTO commands (command_id, site_id, device_id, type, parameters_json, status, created_by, created_at) VALUES ('cmd-1', 'lyon-dc', 'dev-1', 'ring', '{}', 'queued', 'ci', 1)");
            await s.CommitAsync();
        }

        // Act: the new hub opens it
        var store = await OpenAsync(connectionString);

        // Assert: all of it is the default tenant's, and works as before
        var site = Assert.Single(await store.Sites.ListSitesAsync(TenantIds.Default));
        Assert.Equal(("lyon-dc", 3UL, 1UL), (site.SiteId, site.AppliedThrough, site.FeedHead));
        Assert.Equal("lyon-dc", await store.Sites.AuthenticateSiteAsync("site-credential"));
        Assert.Equal("pickers", Assert.Single(await store.Blueprints.ListBlueprintsAsync(TenantIds.Default)).Group);
        var old = await store.AdminTokens.AuthenticateApiTokenAsync("old-api-token");
        Assert.Equal((TenantIds.Default, "ci", (string?)null, HubRoles.TenantAdmin, (DateTimeOffset?)null), (old!.TenantId, old.Name, old.Account, old.Role, old.ExpiresAt));
        Assert.Equal(1, await store.AdminTokens.BoundUnexpiringTokensAsync(TimeSpan.FromDays(30))); // what the hub does at start
        Assert.Equal(Now.AddDays(30), (await store.AdminTokens.AuthenticateApiTokenAsync("old-api-token"))!.ExpiresAt);
        Assert.Equal("dev-1", Assert.Single(await store.Fleet.ListDevicesAsync(TenantIds.Default)).DeviceId);
        Assert.Equal(CommandStatuses.Queued, (await store.Commands.CommandStatusAsync(TenantIds.Default, "cmd-1"))!.Status);
        Assert.Single(await store.Feed.ReadFeedAsync("lyon-dc", 0, 10));
        Assert.Equal([TenantIds.Default], (await store.Tenants.ListTenantsAsync()).Select(t => t.TenantId));

        // ...the next blueprint fans out to the upgraded site, and a new tenant sees none of it
        await store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("returns"));
        Assert.Equal(2UL, await store.Feed.FeedHeadAsync("lyon-dc"));
        var acme = (await store.Tenants.AddTenantAsync("Acme")).TenantId;
        Assert.Empty(await store.Sites.ListSitesAsync(acme));
        Assert.Empty(await store.Blueprints.ListBlueprintsAsync(acme));
    }

    /// <summary>A new store with a second tenant beside the default one, and a site in each.</summary>
    private async Task<(HubStores Store, string OtherTenant, string DefaultSite, string OtherSite)> StoreWithTwoTenantsAsync(
        string otherTenantName, string defaultSiteName, string otherSiteName)
    {
        var store = await NewStoreAsync();
        var other = (await store.Tenants.AddTenantAsync(otherTenantName)).TenantId;
        var defaultSite = (await store.Sites.AddSiteAsync(Tenant, defaultSiteName)).SiteId;
        var otherSite = (await store.Sites.AddSiteAsync(other, otherSiteName)).SiteId;
        return (store, other, defaultSite, otherSite);
    }
}
