using System.Net;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Security;

using EdgeMdm.Testing;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Signing in to the supervisor page (ASVS 5.0 §3.3, §6.3, §7.2–7.4): site users from the hub's feed and the
/// break-glass administrator, lockout, the session cookie, timeouts, sessions ended by the server, forms from
/// elsewhere refused. Over the appliance's real https, as a browser would.
/// </summary>
public sealed class SupervisorSignInTests
{
    private const string KimPassword = "kim's floor password";

    // Few iterations keep the tests fast; the appliance reads the count from the hash.
    private static readonly string KimHash = PasswordHash.Create(KimPassword, 1_000);

    private static HubChange User(ulong position, string name, string role, string hash, long at = 0) => new()
    {
        Position = position,
        AtUnixMs = 1_700_000_000_000 + (long)position + at,
        SiteUserUpserted = new SiteUserUpserted { UserName = name, Role = role, PasswordHash = hash },
    };

    private static async Task<EdgeServer> WithKimAsync(string role = SiteUserRoles.Supervisor)
    {
        var server = await EdgeServer.StartAsync();
        await HubCatalog.ApplyAsync(server, User(1, "kim", role, KimHash));
        return server;
    }

    [Fact]
    public async Task The_break_glass_administrator_is_made_once_with_a_generated_password_readable_only_by_the_appliance()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        var file = Path.Combine(server.DataDir, "break-glass-admin.txt");
        var lines = await File.ReadAllLinesAsync(file);
        var password = lines.Single(l => l.StartsWith("password: ", StringComparison.Ordinal))["password: ".Length..];
        using var browser = new FormBrowser(server.CreateClient);

        // Act
        using var wrong = await browser.SignInAsync("breakglass", "admin");
        using var signedIn = await browser.SignInAsync("breakglass", password);
        using var overview = await browser.GetAsync("/");

        // Assert
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal("user: breakglass", lines[0]);
        Assert.Matches("^[a-zA-Z0-9]{5}(-[a-zA-Z0-9]{5}){3}$", password);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal((HttpStatusCode.Redirect, "/"), (signedIn.StatusCode, signedIn.Headers.Location?.OriginalString));
        Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
        Assert.Contains("breakglass <small>(supervisor)</small>", await overview.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(server.Logs.Entries, l => l.Message.Contains("Break-glass administrator made", StringComparison.Ordinal) && l.Message.Contains(file, StringComparison.Ordinal));
        Assert.DoesNotContain(server.Logs.Entries, l => l.Message.Contains(password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_site_user_signs_in_with_a_new_host_only_strict_http_only_session_cookie_each_time()
    {
        // Arrange
        await using var server = await WithKimAsync();
        using var browser = new FormBrowser(server.CreateClient);

        // Act
        using var anonymous = await browser.GetAsync("/");
        using var first = await browser.SignInAsync("kim", KimPassword);
        var firstKey = browser.SessionKey;
        using var second = await browser.SignInAsync("kim", KimPassword);
        var secondKey = browser.SessionKey;

        // Assert
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.StartsWith("/signin?returnUrl=%2F", anonymous.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        var cookie = first.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-edgemdm-session=", StringComparison.Ordinal));
        Assert.Contains("path=/", cookie, StringComparison.Ordinal);
        Assert.Contains("secure", cookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(firstKey);
        Assert.NotEqual(firstKey, secondKey);
        Assert.Equal(1, server.Get<Storage.EdgeStorage>().Read(db => db.ExecuteScalar<int>("SELECT count(*) FROM web_sessions")));
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_even_against_the_right_one_until_the_lockout_ends()
    {
        // Arrange
        await using var server = await WithKimAsync();
        using var browser = new FormBrowser(server.CreateClient);

        // Act
        var wrong = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var attempt = await browser.SignInAsync("kim", "not it " + i);
            wrong.Add(attempt.StatusCode);
        }

        using var locked = await browser.SignInAsync("kim", KimPassword);
        var lockedPage = await locked.Content.ReadAsStringAsync();
        var sessionWhileLocked = browser.SessionKey;
        server.Clock.Advance(TimeSpan.FromMinutes(16));
        using var later = await browser.SignInAsync("kim", KimPassword);

        // Assert
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.TooManyRequests], wrong);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Contains("this account is locked", lockedPage, StringComparison.Ordinal);
        Assert.Null(sessionWhileLocked);
        Assert.Equal(HttpStatusCode.Redirect, later.StatusCode);
        Assert.Contains(server.Logs.Entries, l => l.Message.Contains("kim is locked until", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_idle_session_ends_after_fifteen_minutes_and_a_busy_one_after_twelve_hours()
    {
        // Arrange
        await using var server = await WithKimAsync();
        using var idle = new FormBrowser(server.CreateClient);
        using var busy = new FormBrowser(server.CreateClient);
        (await idle.SignInAsync("kim", KimPassword)).Dispose();
        (await busy.SignInAsync("kim", KimPassword)).Dispose();

        // Act: the busy one looks every ten minutes; live updates do not count as the person's activity
        var busyAnswers = new List<HttpStatusCode>();
        using var liveOnly = new FormBrowser(server.CreateClient);
        (await liveOnly.SignInAsync("kim", KimPassword)).Dispose();
        server.Clock.Advance(TimeSpan.FromMinutes(10));
        using var live = await liveOnly.GetAsync("/", r => r.Headers.Add("X-EdgeMdm-Live", "1"));
        for (var i = 0; i < 12 * 6; i++)
        {
            using var look = await busy.GetAsync("/");
            busyAnswers.Add(look.StatusCode);
            if (i == 0)
                server.Clock.Advance(TimeSpan.FromMinutes(6));
            else
                server.Clock.Advance(TimeSpan.FromMinutes(10));
        }

        using var idleAfter = await idle.GetAsync("/");
        using var liveAfter = await liveOnly.GetAsync("/", r => r.Headers.Add("X-EdgeMdm-Live", "1"));

        // Assert
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, idleAfter.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, liveAfter.StatusCode);
        var lastOk = busyAnswers.FindLastIndex(s => s == HttpStatusCode.OK);
        Assert.All(busyAnswers.Take(lastOk + 1), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.All(busyAnswers.Skip(lastOk + 1), s => Assert.Equal(HttpStatusCode.Redirect, s));
        // Signed in at 08:00; answered until the look before 20:00, refused from the first one after it.
        Assert.Equal(71, lastOk);
    }

    [Fact]
    public async Task Under_the_shortest_idle_timeout_a_person_looking_every_three_seconds_stays_signed_in_until_the_absolute_timeout()
    {
        // Arrange: the shortest timeouts the options allow (what the browser tests run on the real clock)
        await using var server = await EdgeServer.StartAsync("--Edge:Web:IdleTimeout", "00:00:10", "--Edge:Web:AbsoluteTimeout", "00:00:30");
        await HubCatalog.ApplyAsync(server, User(1, "kim", SiteUserRoles.Supervisor, KimHash));
        using var busy = new FormBrowser(server.CreateClient);
        (await busy.SignInAsync("kim", KimPassword)).Dispose();

        // Act: a look every 3 s for 36 s
        var answers = new List<HttpStatusCode>();
        for (var second = 3; second <= 36; second += 3)
        {
            server.Clock.Advance(TimeSpan.FromSeconds(3));
            using var look = await busy.GetAsync("/");
            answers.Add(look.StatusCode);
        }

        // Assert: past the idle timeout many times over while active; refused once 30 s went by since the sign-in
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 10), answers.Take(10));
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Redirect, 2), answers.Skip(10));
    }

    [Theory]
    [InlineData("removed")]
    [InlineData("role changed")]
    [InlineData("signed out")]
    public async Task The_server_ends_a_session_when_the_user_is_removed_changes_role_or_signs_out(string what)
    {
        // Arrange
        await using var server = await WithKimAsync();
        using var browser = new FormBrowser(server.CreateClient);
        (await browser.SignInAsync("kim", KimPassword)).Dispose();
        var stolen = browser.SessionKey!;

        // Act
        if (string.Equals(what, "removed", StringComparison.Ordinal))
            await HubCatalog.ApplyAsync(server, new HubChange { Position = 2, SiteUserRemoved = new SiteUserRemoved { UserName = "kim" } });
        else if (string.Equals(what, "role changed", StringComparison.Ordinal))
            await HubCatalog.ApplyAsync(server, User(2, "kim", SiteUserRoles.Viewer, KimHash, at: 60_000));
        else
            (await browser.PostFormAsync("/", "/signout", [])).Dispose();
        using var replayed = new FormBrowser(server.CreateClient);
        replayed.Cookies.Add(server.BaseAddress, new Cookie("__Host-edgemdm-session", stolen, "/"));
        using var after = await replayed.GetAsync("/");

        // Assert
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/signin", after.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        // The page it is sent to says why.
        Assert.EndsWith("&ended=1", after.Headers.Location.Query, StringComparison.Ordinal);
        using var signIn = await replayed.GetAsync(after.Headers.Location.PathAndQuery);
        Assert.Contains("Your session ended", await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_form_without_its_token_or_from_another_origin_changes_nothing()
    {
        // Arrange
        await using var server = await WithKimAsync();
        using var browser = new FormBrowser(server.CreateClient);

        // Act
        using var noToken = await browser.GetAsync("/signin", _ => { });
        using var post = new HttpRequestMessage(HttpMethod.Post, "/signin")
        {
            Content = new FormUrlEncodedContent([new("username", "kim"), new("password", KimPassword)]),
        };
        using var tokenless = await server.CreateClient().SendAsync(post);
        using var crossSite = await browser.PostFormAsync(
            "/signin", "/signin", [new("username", "kim"), new("password", KimPassword)],
            r => { r.Headers.Add("Origin", "https://evil.example"); r.Headers.Add("Sec-Fetch-Site", "cross-site"); });

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, tokenless.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        Assert.Null(browser.SessionKey);
    }

    [Fact]
    public async Task A_viewer_sees_the_overview_and_the_pages_say_where_they_may_be_framed_and_loaded_from()
    {
        // Arrange
        await using var server = await WithKimAsync(SiteUserRoles.Viewer);
        using var browser = new FormBrowser(server.CreateClient);
        (await browser.SignInAsync("kim", KimPassword)).Dispose();

        // Act
        using var overview = await browser.GetAsync("/");
        using var css = await browser.GetAsync("/assets/site.css");
        using var missing = await browser.GetAsync("/assets/../edge.db");

        // Assert
        Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
        Assert.Contains("frame-ancestors 'none'", overview.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.True(overview.Headers.CacheControl?.NoStore, "a signed-in page may be stored");
        Assert.Contains("kim <small>(viewer)</small>", await overview.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("text/css; charset=utf-8", css.Content.Headers.ContentType?.ToString());
        Assert.NotEqual(HttpStatusCode.OK, missing.StatusCode);
    }

    [Theory]
    [InlineData("/devices?x=1", "/devices?x=1")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData(null, "/")]
    public void After_sign_in_only_a_path_on_this_appliance_is_followed(string? returnUrl, string expected) =>
        Assert.Equal(expected, ServiceDefaults.WebSignIn.SignInFlow.LocalOnly(returnUrl));
}
