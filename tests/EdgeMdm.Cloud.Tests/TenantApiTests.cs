using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using EdgeMdm.ServiceDefaults.WebSignIn;
using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Cloud.Api;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Cloud.Tests;

/// <summary>Tenants, accounts, sign-in and site users through the REST API on the real host.</summary>
public sealed class TenantApiTests : HubPerTest
{
    private HttpClient ClientWith(string token)
    {
        var client = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<HttpClient> OtherTenantAsync()
    {
        var tenant = await Hub.Store.Tenants.AddTenantAsync("Globex");
        return ClientWith(await Hub.Store.AdminTokens.CreateApiTokenAsync(tenant.TenantId, "globex-ci"));
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonNode>())!["detail"]!.GetValue<string>();

    [Fact]
    public async Task Another_tenants_site_command_and_devices_answer_404_exactly_like_missing_ones()
    {
        // Arrange: a site of the default tenant with a device, a blueprint and a command
        using var created = await Hub.Rest.PostAsJsonAsync("/api/v1/sites", new { name = "Lyon DC" });
        var siteId = (await created.Content.ReadFromJsonAsync<JsonNode>())!["siteId"]!.GetValue<string>();
        using var put = await Hub.Rest.PutAsJsonAsync("/api/v1/blueprints/pickers", new { group = "pickers" });
        using var queued = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { siteId, deviceId = "dev-0", type = "ring" });
        var commandId = (await queued.Content.ReadFromJsonAsync<JsonNode>())!["commandId"]!.GetValue<string>();
        using var globex = await OtherTenantAsync();

        // Act: Globex asks for each of them, and for ones that exist nowhere
        async Task<(HttpStatusCode, string)> Probe(Func<string, string, Task<HttpResponseMessage>> call, string existing, string missing)
        {
            using var theirs = await call(existing, siteId);
            using var nowhere = await call(missing, "no-such-site");
            Assert.Equal(theirs.StatusCode, nowhere.StatusCode);
            return (theirs.StatusCode, (await DetailAsync(theirs)).Replace(existing, "X", StringComparison.Ordinal));
        }

        var token = await Probe((s, _) => globex.PostAsJsonAsync($"/api/v1/sites/{s}/tokens", new { group = "pickers", uses = 1, expiresInSeconds = 3600 }), siteId, "no-such-site");
        var users = await Probe((s, _) => globex.GetAsync(new Uri($"/api/v1/sites/{s}/users", UriKind.Relative)), siteId, "no-such-site");
        var addUser = await Probe((s, _) => globex.PostAsJsonAsync($"/api/v1/sites/{s}/users", new { userName = "mallory", role = "supervisor" }), siteId, "no-such-site");
        var devices = await Probe((s, _) => globex.GetAsync(new Uri($"/api/v1/devices?site={s}", UriKind.Relative)), siteId, "no-such-site");
        var command = await Probe((c, _) => globex.GetAsync(new Uri($"/api/v1/commands/{c}", UriKind.Relative)), commandId, "no-such-command");
        var send = await Probe((s, _) => globex.PostAsJsonAsync("/api/v1/commands", new { siteId = s, deviceId = "dev-0", type = "wipe", reason = "mine now" }), siteId, "no-such-site");
        var deviceById = await Probe((d, _) => globex.PostAsJsonAsync("/api/v1/commands", new { deviceId = d, type = "wipe", reason = "mine now" }), "dev-0", "dev-unknown");
        using var deleteBlueprint = await globex.DeleteAsync(new Uri("/api/v1/blueprints/pickers", UriKind.Relative));
        var theirSites = await globex.GetFromJsonAsync<JsonArray>("/api/v1/sites");
        var theirBlueprints = await globex.GetFromJsonAsync<JsonArray>("/api/v1/blueprints");

        // Assert: never 403, and the same words as for what does not exist
        Assert.Equal(HttpStatusCode.NotFound, token.Item1);
        Assert.Equal(HttpStatusCode.NotFound, users.Item1);
        Assert.Equal(HttpStatusCode.NotFound, addUser.Item1);
        Assert.Equal(HttpStatusCode.NotFound, devices.Item1);
        Assert.Equal(HttpStatusCode.NotFound, command.Item1);
        Assert.Equal(HttpStatusCode.BadRequest, send.Item1); // a named siteId that is unknown is a bad field, as before tenants
        Assert.Equal(HttpStatusCode.NotFound, deviceById.Item1);
        Assert.Equal(HttpStatusCode.NotFound, deleteBlueprint.StatusCode);
        Assert.Empty(theirSites!);
        Assert.Empty(theirBlueprints!);
        Assert.Single(await Hub.Store.Blueprints.ListBlueprintsAsync(TenantIds.Default));
        Assert.Equal(4UL, await Hub.Store.Feed.FeedHeadAsync(siteId)); // its name, the signing key, the blueprint and the command; nothing of Globex's
    }

    [Fact]
    public async Task An_account_signs_in_for_a_token_of_its_tenant_and_loses_it_when_removed()
    {
        // Arrange
        using var add = await Hub.Rest.PostAsJsonAsync("/api/v1/accounts", new { userName = "alice", password = "correct horse battery", role = "tenant-admin" });
        using var anonymous = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };

        // Act
        using var login = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = "alice", password = "correct horse battery", tenant = "default" });
        var signedIn = (await login.Content.ReadFromJsonAsync<JsonNode>())!;
        using var asAlice = ClientWith(signedIn["token"]!.GetValue<string>());
        using var createdByAlice = await asAlice.PostAsJsonAsync("/api/v1/sites", new { name = "Alice DC" });
        var accounts = await asAlice.GetFromJsonAsync<JsonArray>("/api/v1/accounts");
        using var remove = await Hub.Rest.DeleteAsync(new Uri("/api/v1/accounts/alice", UriKind.Relative));
        using var afterRemoval = await asAlice.GetAsync(new Uri("/api/v1/sites", UriKind.Relative));
        using var removeAgain = await Hub.Rest.DeleteAsync(new Uri("/api/v1/accounts/alice", UriKind.Relative));

        // Assert
        Assert.Equal(HttpStatusCode.Created, add.StatusCode);
        Assert.Null((await add.Content.ReadFromJsonAsync<JsonNode>())!["password"]); // given, so not echoed
        Assert.Equal(HttpStatusCode.Created, login.StatusCode);
        Assert.Equal(("default", "alice"), (signedIn["tenant"]!.GetValue<string>(), signedIn["user"]!.GetValue<string>()));
        var expiresAt = signedIn["expiresAt"]!.GetValue<DateTimeOffset>();
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromDays(29), TimeSpan.FromDays(30));
        Assert.Equal(HttpStatusCode.Created, createdByAlice.StatusCode);
        Assert.Equal(["alice"], accounts!.Select(a => a!["userName"]!.GetValue<string>()));
        Assert.DoesNotContain("password", accounts!.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRemoval.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, removeAgain.StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_an_unknown_user_and_an_unknown_tenant_get_the_same_401()
    {
        // Arrange
        using var add = await Hub.Rest.PostAsJsonAsync("/api/v1/accounts", new { userName = "alice", password = "correct horse battery", role = "tenant-admin" });
        using var anonymous = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };

        // Act
        using var wrongPassword = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = "alice", password = "wrong horse battery" });
        using var unknownUser = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = "bob", password = "correct horse battery" });
        using var unknownTenant = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = "alice", password = "correct horse battery", tenant = "globex" });
        using var missingFields = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = "alice" });

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownUser.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownTenant.StatusCode);
        var details = new[] { await DetailAsync(wrongPassword), await DetailAsync(unknownUser), await DetailAsync(unknownTenant) };
        Assert.Single(details.Distinct(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, missingFields.StatusCode);
        Assert.Contains("password", (await missingFields.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!.AsObject().Select(e => e.Key));
    }

    [Fact]
    public async Task Wrong_passwords_delay_the_guessing_address_while_the_owner_signs_in_from_another()
    {
        // Arrange: an attacker on another address guesses alice's password until it is made to wait
        using var add = await Hub.Rest.PostAsJsonAsync("/api/v1/accounts", new { userName = "alice", password = "correct horse battery" });
        using var attacker = FromAddress(IPAddress.Parse("127.0.0.2"));
        using var owner = FromAddress(IPAddress.Loopback);
        var guesses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var wrong = await attacker.PostAsJsonAsync("/api/v1/login", new { user = "alice", password = $"guess number {i}" });
            guesses.Add(wrong.StatusCode);
        }

        // Act
        using var attackerRight = await attacker.PostAsJsonAsync("/api/v1/login", new { user = "alice", password = "correct horse battery" });
        using var ownerRight = await owner.PostAsJsonAsync("/api/v1/login", new { user = "alice", password = "correct horse battery" });

        // Assert: four wrong answers, then the attacker's address waits, even with the right password; the owner is in
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), .. Enumerable.Repeat(HttpStatusCode.TooManyRequests, 4)], guesses);
        Assert.Equal(HttpStatusCode.TooManyRequests, attackerRight.StatusCode);
        Assert.Equal("application/problem+json", attackerRight.Content.Headers.ContentType?.MediaType);
        Assert.InRange(attackerRight.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), new WebSessionOptions().LockoutFirstDelay);
        Assert.Equal(HttpStatusCode.Created, ownerRight.StatusCode);
    }

    /// <summary>A client whose connections come from <paramref name="source"/> (any 127.x address is this machine's loopback).</summary>
    private HttpClient FromAddress(IPAddress source) =>
        new(new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        { BaseAddress = Hub.Rest.BaseAddress };

    [Fact]
    public async Task Too_many_sign_ins_from_one_address_get_429_before_the_body_is_read_whatever_the_account()
    {
        // Arrange: attempts that cost no hash (a field missing) still count against the address
        using var add = await Hub.Rest.PostAsJsonAsync("/api/v1/accounts", new { userName = "alice", password = "correct horse battery", role = "tenant-admin" });
        using var anonymous = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };
        for (var i = 0; i < SignInLimits.AttemptsPerAddress; i++)
        {
            using var incomplete = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = $"user-{i}" });
            Assert.Equal(HttpStatusCode.BadRequest, incomplete.StatusCode);
        }

        // Act
        using var right = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = "alice", password = "correct horse battery" });
        using var withToken = await Hub.Rest.GetAsync(new Uri("/api/v1/sites", UriKind.Relative));

        // Assert: the rate limiter's own answer; the API proper is not limited
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Equal("application/problem+json", right.Content.Headers.ContentType?.MediaType);
        Assert.InRange(right.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), SignInLimits.AddressRefill);
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
    }

    [Fact]
    public async Task Accounts_belong_to_their_tenant_and_a_generated_password_is_shown_once()
    {
        // Arrange
        using var globex = await OtherTenantAsync();
        using var anonymous = new HttpClient { BaseAddress = Hub.Rest.BaseAddress };

        // Act
        using var add = await globex.PostAsJsonAsync("/api/v1/accounts", new { userName = "alice" });
        var password = (await add.Content.ReadFromJsonAsync<JsonNode>())!["password"]!.GetValue<string>();
        using var sameNameElsewhere = await Hub.Rest.PostAsJsonAsync("/api/v1/accounts", new { userName = "alice", password = "another long password" });
        using var duplicate = await globex.PostAsJsonAsync("/api/v1/accounts", new { userName = "alice" });
        using var inGlobex = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = "alice", password, tenant = "globex" });
        using var inDefault = await anonymous.PostAsJsonAsync("/api/v1/login", new { user = "alice", password });
        using var removeFromOther = await Hub.Rest.DeleteAsync(new Uri("/api/v1/accounts/bob", UriKind.Relative));
        var defaultAccounts = await Hub.Rest.GetFromJsonAsync<JsonArray>("/api/v1/accounts");

        // Assert
        Assert.Equal(HttpStatusCode.Created, add.StatusCode);
        Assert.Equal(20, password.Length);
        Assert.Equal(HttpStatusCode.Created, sameNameElsewhere.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal(HttpStatusCode.Created, inGlobex.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, inDefault.StatusCode); // default's alice has another password
        Assert.Equal(HttpStatusCode.NotFound, removeFromOther.StatusCode);
        Assert.Single(defaultAccounts!);
    }

    [Theory]
    [InlineData("""{"userName":"","password":"long enough pw"}""", "userName")]
    [InlineData("""{"userName":"a b","password":"long enough pw"}""", "userName")]
    [InlineData("""{"userName":"alice","password":"short"}""", "password")]
    public async Task A_bad_account_is_refused_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        // Act
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await Hub.Rest.PostAsync(new Uri("/api/v1/accounts", UriKind.Relative), content);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, (await response.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!.AsObject().Select(e => e.Key));
        Assert.Empty(await Hub.Store.Accounts.ListAccountsAsync(TenantIds.Default));
    }

    [Fact]
    public async Task A_site_user_goes_down_the_feed_as_a_hash_that_verifies_the_password()
    {
        // Arrange
        var site = await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon DC");

        // Act
        using var add = await Hub.Rest.PostAsJsonAsync($"/api/v1/sites/{site.SiteId}/users", new { userName = "sam", role = "operator" });
        var added = (await add.Content.ReadFromJsonAsync<JsonNode>())!;
        using var reset = await Hub.Rest.PostAsJsonAsync($"/api/v1/sites/{site.SiteId}/users", new { userName = "sam", role = "supervisor", password = "a chosen password" });
        var listed = await Hub.Rest.GetFromJsonAsync<JsonArray>($"/api/v1/sites/{site.SiteId}/users");
        using var badRole = await Hub.Rest.PostAsJsonAsync($"/api/v1/sites/{site.SiteId}/users", new { userName = "kim", role = "admin" });
        using var remove = await Hub.Rest.DeleteAsync(new Uri($"/api/v1/sites/{site.SiteId}/users/sam", UriKind.Relative));
        using var removeAgain = await Hub.Rest.DeleteAsync(new Uri($"/api/v1/sites/{site.SiteId}/users/sam", UriKind.Relative));
        var feed = await Hub.Store.Feed.ReadFeedAsync(site.SiteId, 2, 10); // after the name and the signing key every site starts with

        // Assert
        Assert.Equal(HttpStatusCode.Created, add.StatusCode);
        var generated = added["password"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Null((await reset.Content.ReadFromJsonAsync<JsonNode>())!["password"]);
        var sam = Assert.Single(listed!)!;
        Assert.Equal(("sam", "supervisor"), (sam["userName"]!.GetValue<string>(), sam["role"]!.GetValue<string>()));
        Assert.DoesNotContain("hash", listed!.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        Assert.Equal((HttpStatusCode.NoContent, HttpStatusCode.NotFound), (remove.StatusCode, removeAgain.StatusCode));
        Assert.Equal(
            [HubChange.ChangeOneofCase.SiteUserUpserted, HubChange.ChangeOneofCase.SiteUserUpserted, HubChange.ChangeOneofCase.SiteUserRemoved],
            feed.Select(c => c.ChangeCase));
        Assert.True(PasswordHash.Verify(generated, feed[0].SiteUserUpserted.PasswordHash));
        Assert.True(PasswordHash.Verify("a chosen password", feed[1].SiteUserUpserted.PasswordHash));
        Assert.DoesNotContain(generated, feed[0].ToString(), StringComparison.Ordinal);
    }
}
