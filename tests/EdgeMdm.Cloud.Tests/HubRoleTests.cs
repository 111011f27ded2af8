using System.Net.Http.Headers;
using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Cloud.Api;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// Central IT's roles through the REST API and the console on the real host: the holes issue 27 names (any token
/// could remove another account and set a site user's password), who a token is, its expiry, a site operator's reach.
/// </summary>
public sealed class HubRoleTests : HubPerTest
{
    private const string Password = "a long enough password";

    private static readonly string[] NoSuchSites = ["atlantis"];

    [Fact]
    public async Task An_operators_token_may_not_remove_another_account_nor_set_a_site_users_password_a_tenant_admins_may()
    {
        // Arrange: two people signed in, an operator and a tenant admin
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon");
        using var olivia = await SignedInAsync("olivia", HubRoles.Operator);
        using var ada = await SignedInAsync("ada", HubRoles.TenantAdmin);
        var samsPassword = new { userName = "sam", role = "supervisor", password = "the attacker's choice" };

        // Act
        using var removeByOperator = await olivia.DeleteAsync(new Uri("/api/v1/accounts/ada", UriKind.Relative));
        using var passwordByOperator = await olivia.PostAsJsonAsync($"/api/v1/sites/{site.SiteId}/users", samsPassword);
        using var promoteSelf = await olivia.PatchAsJsonAsync("/api/v1/accounts/olivia", new { role = "tenant-admin" });
        var usersAfterOperator = await Hub.Store.SiteUsers.ListSiteUsersAsync(TenantIds.Default, site.SiteId);
        using var passwordByAdmin = await ada.PostAsJsonAsync($"/api/v1/sites/{site.SiteId}/users", samsPassword);
        using var removeByAdmin = await ada.DeleteAsync(new Uri("/api/v1/accounts/olivia", UriKind.Relative));

        // Assert
        Assert.Equal(
            (HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden),
            (removeByOperator.StatusCode, passwordByOperator.StatusCode, promoteSelf.StatusCode));
        Assert.Contains("may not do this; it needs tenant-admin", await DetailAsync(removeByOperator), StringComparison.Ordinal);
        Assert.Empty(usersAfterOperator!);
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.NoContent), (passwordByAdmin.StatusCode, removeByAdmin.StatusCode));
        Assert.Equal(["ada"], (await Hub.Store.Accounts.ListAccountsAsync(TenantIds.Default)).Select(a => a.UserName));
    }

    [Fact]
    public async Task Me_answers_who_the_token_is_and_an_expired_token_is_401_saying_it_expired()
    {
        // Arrange
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon");
        await Hub.Store.Accounts.AddAccountAsync(TenantIds.Default, "sara", PasswordHash.Create(Password, 1_000), new HubGrant(HubRoles.SiteOperator, [site.SiteId]));
        using var anonymous = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        var expired = await Hub.Store.Accounts.IssueAccountTokenAsync(TenantIds.Default, "sara", DateTimeOffset.UtcNow.AddSeconds(-1));

        // Act
        using var signIn = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = "sara", password = Password });
        var signedIn = (await signIn.Content.ReadFromJsonAsync<JsonNode>())!;
        using var sara = Client(signedIn["token"]!.GetValue<string>());
        var me = (await sara.GetFromJsonAsync<JsonNode>("/api/v1/me"))!;
        using var stale = Client(expired);
        using var refused = await stale.GetAsync(new Uri("/api/v1/me", UriKind.Relative));
        var problem = (await refused.Content.ReadFromJsonAsync<JsonNode>())!;

        // Assert
        Assert.Equal(HttpStatusCode.Created, signIn.StatusCode);
        Assert.Equal((HubRoles.SiteOperator, site.SiteId), (signedIn["role"]!.GetValue<string>(), signedIn["sites"]![0]!.GetValue<string>()));
        Assert.Equal(
            (TenantIds.Default, "sara", "sara", HubRoles.SiteOperator, site.SiteId),
            (me["tenant"]!.GetValue<string>(), me["name"]!.GetValue<string>(), me["account"]!.GetValue<string>(), me["role"]!.GetValue<string>(), me["sites"]![0]!.GetValue<string>()));
        Assert.Equal(signedIn["expiresAt"]!.GetValue<DateTimeOffset>(), me["expiresAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(ApiTokenAuthentication.ExpiredTitle, problem["title"]!.GetValue<string>());
        Assert.Contains("sign in again with 'edgemdm login'", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_site_operator_lists_and_commands_only_its_sites_and_another_sites_command_is_as_missing()
    {
        // Arrange: a command at Paris, queued by the tenant admin
        var lyon = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon");
        var paris = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Paris");
        using var queued = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { siteId = paris.SiteId, deviceId = "dev-9", type = "reboot", expiresInSeconds = 600 });
        var parisCommand = (await queued.Content.ReadFromJsonAsync<JsonNode>())!["commandId"]!.GetValue<string>();
        using var sara = Client(await Hub.Store.AdminTokens.CreateApiTokenAsync(TenantIds.Default, "lyon-ops", new HubGrant(HubRoles.SiteOperator, [lyon.SiteId])));
        var globex = await Hub.Store.Tenants.AddTenantAsync("Globex");
        using var other = Client(await Hub.Store.AdminTokens.CreateApiTokenAsync(globex.TenantId, "globex"));

        // Act
        var sites = (await sara.GetFromJsonAsync<JsonArray>("/api/v1/sites"))!;
        using var atLyon = await sara.PostAsJsonAsync("/api/v1/commands", new { siteId = lyon.SiteId, deviceId = "dev-1", type = "reboot", expiresInSeconds = 600 });
        using var atParis = await sara.PostAsJsonAsync("/api/v1/commands", new { siteId = paris.SiteId, deviceId = "dev-9", type = "reboot", expiresInSeconds = 600 });
        using var atNowhere = await sara.PostAsJsonAsync("/api/v1/commands", new { siteId = "atlantis", deviceId = "dev-9", type = "reboot", expiresInSeconds = 600 });
        using var noSite = await sara.PostAsJsonAsync("/api/v1/commands", new { deviceId = "dev-9", type = "reboot", expiresInSeconds = 600 });
        using var parisCommandAsSara = await sara.GetAsync(new Uri($"/api/v1/commands/{parisCommand}", UriKind.Relative));
        using var parisCommandAsGlobex = await other.GetAsync(new Uri($"/api/v1/commands/{parisCommand}", UriKind.Relative));
        using var randomCommand = await sara.GetAsync(new Uri($"/api/v1/commands/{Guid.CreateVersion7():N}", UriKind.Relative));
        using var tenantWide = await sara.GetAsync(new Uri("/api/v1/devices", UriKind.Relative));

        // Assert
        Assert.Equal([lyon.SiteId], sites.Select(s => s!["siteId"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Created, atLyon.StatusCode);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (atParis.StatusCode, atNowhere.StatusCode));
        Assert.Equal(
            (await DetailAsync(atNowhere)).Replace("atlantis", "SITE", StringComparison.Ordinal),
            (await DetailAsync(atParis)).Replace(paris.SiteId, "SITE", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, noSite.StatusCode);
        Assert.All([parisCommandAsSara, parisCommandAsGlobex, randomCommand], r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.Equal("no command 'ID'", (await DetailAsync(parisCommandAsSara)).Replace(parisCommand, "ID", StringComparison.Ordinal));
        Assert.Equal("no command 'ID'", (await DetailAsync(parisCommandAsGlobex)).Replace(parisCommand, "ID", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Forbidden, tenantWide.StatusCode);
        Assert.Equal(1, (await Hub.Store.Commands.ListCommandsAsync(TenantIds.Default, new Fleet.CommandQuery(SiteId: lyon.SiteId))).Total);
    }

    [Fact]
    public async Task A_new_account_is_a_viewer_unless_given_a_role_and_a_role_change_reaches_its_tokens_at_once()
    {
        // Arrange
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon");

        // Act
        using var plain = await Hub.Rest.PostAsJsonAsync("/api/v1/accounts", new { userName = "vic", password = Password });
        using var scopedWithoutSites = await Hub.Rest.PostAsJsonAsync("/api/v1/accounts", new { userName = "sid", password = Password, role = "site-operator" });
        using var unknownSite = await Hub.Rest.PostAsJsonAsync("/api/v1/accounts", new { userName = "sid", password = Password, role = "site-operator", sites = NoSuchSites });
        using var vic = await SignInAsync("vic");
        using var blueprintAsViewer = await vic.PutAsJsonAsync("/api/v1/blueprints/pickers", new { group = "pickers" });
        using var promote = await Hub.Rest.PatchAsJsonAsync("/api/v1/accounts/vic", new { role = "site-operator", sites = new[] { site.SiteId } });
        using var tokensAsSiteOperator = await vic.PostAsJsonAsync($"/api/v1/sites/{site.SiteId}/tokens", new { group = "nobody", uses = 1, expiresInSeconds = 60 });
        var listed = (await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/accounts"))!;

        // Assert
        Assert.Equal(HttpStatusCode.Created, plain.StatusCode);
        Assert.Equal(HubRoles.Viewer, (await plain.Content.ReadFromJsonAsync<JsonNode>())!["role"]!.GetValue<string>());
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (scopedWithoutSites.StatusCode, unknownSite.StatusCode));
        Assert.Equal(HttpStatusCode.Forbidden, blueprintAsViewer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, promote.StatusCode);
        Assert.NotEqual(HttpStatusCode.Forbidden, tokensAsSiteOperator.StatusCode); // let through, refused only for its unknown group
        var row = Assert.Single(listed, a => string.Equals(a!["userName"]!.GetValue<string>(), "vic", StringComparison.Ordinal))!;
        Assert.Equal((HubRoles.SiteOperator, site.SiteId), (row["role"]!.GetValue<string>(), row["sites"]![0]!.GetValue<string>()));
    }

    [Fact]
    public async Task Admin_token_create_gives_the_role_and_expiry_asked_and_refuses_what_is_out_of_bounds()
    {
        // Arrange
        using var output = new StringWriter();
        using var notes = new StringWriter();
        var viewer = new AdminTokenRequest(new HubGrant(HubRoles.Viewer, []), TimeSpan.FromDays(7)) { Notes = notes };

        // Act
        await AdminTokenCommand.CreateAdminTokenAsync(Hub.Directory, "wallboard", output, TenantIds.Default, viewer);
        var caller = await Hub.Store.AdminTokens.AuthenticateApiTokenAsync(output.ToString().TrimEnd('\n'));
        var tooLong = await Assert.ThrowsAsync<ArgumentException>(() => AdminTokenCommand.CreateAdminTokenAsync(
            Hub.Directory, "x", TextWriter.Null, TenantIds.Default, new AdminTokenRequest(HubGrant.TenantAdmin, TimeSpan.FromDays(366))));
        var unscoped = await Assert.ThrowsAsync<ArgumentException>(() => AdminTokenCommand.CreateAdminTokenAsync(
            Hub.Directory, "x", TextWriter.Null, TenantIds.Default, new AdminTokenRequest(new HubGrant(HubRoles.SiteOperator, []), TimeSpan.FromDays(1))));
        var defaulted = new StringWriter();
        await AdminTokenCommand.CreateAdminTokenAsync(Hub.Directory, "ci", defaulted);
        var ci = await Hub.Store.AdminTokens.AuthenticateApiTokenAsync(defaulted.ToString().TrimEnd('\n'));

        // Assert
        Assert.Equal(HubRoles.Viewer, caller!.Role);
        Assert.InRange(caller.ExpiresAt!.Value - DateTimeOffset.UtcNow, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(7));
        Assert.StartsWith("viewer in tenant default, valid until ", notes.ToString(), StringComparison.Ordinal);
        Assert.Contains("--valid-days must be 1 to 365", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("a site-operator needs at least one site", unscoped.Message, StringComparison.Ordinal);
        Assert.Equal(HubRoles.TenantAdmin, ci!.Role);
        Assert.InRange(ci.ExpiresAt!.Value - DateTimeOffset.UtcNow, TimeSpan.FromDays(29), TimeSpan.FromDays(30));
    }

    [Fact]
    public async Task A_viewer_reads_console_pages_without_their_forms_and_its_post_is_refused()
    {
        // Arrange
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon");
        using var viewer = await ConsoleSession.SignedInAsync(Hub, "vera", grant: new HubGrant(HubRoles.Viewer, []));
        using var admin = await ConsoleSession.SignedInAsync(Hub, "ada");

        // Act
        var viewersPage = await ConsoleSession.PageAsync(viewer, $"/sites/{site.SiteId}");
        var adminsPage = await ConsoleSession.PageAsync(admin, $"/sites/{site.SiteId}");
        using var post = await viewer.PostFormAsync("/", $"/sites/{site.SiteId}/tokens", [new("group", "pickers"), new("uses", "1")]);

        // Assert
        Assert.DoesNotContain("id=\"batch-token\"", viewersPage, StringComparison.Ordinal);
        Assert.Contains("<span id=\"role\">viewer</span>", viewersPage, StringComparison.Ordinal);
        Assert.Contains("id=\"batch-token\"", adminsPage, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM enrollment_tokens"));
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<HttpClient> SignedInAsync(string user, string role)
    {
        await Hub.Store.Accounts.AddAccountAsync(TenantIds.Default, user, PasswordHash.Create(Password, 1_000), new HubGrant(role, []));
        return await SignInAsync(user);
    }

    private async Task<HttpClient> SignInAsync(string user)
    {
        using var anonymous = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        using var signIn = await anonymous.PostAsJsonAsync("/api/v1/login", new { user, password = Password });
        Assert.Equal(HttpStatusCode.Created, signIn.StatusCode);
        return Client((await signIn.Content.ReadFromJsonAsync<JsonNode>())!["token"]!.GetValue<string>());
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var session = await Hub.Store.Database.BeginAsync(write: false, default);
        return (await session.SingleOrDefaultAsync(sql))!.Long(0);
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!.GetValue<string>();
}
