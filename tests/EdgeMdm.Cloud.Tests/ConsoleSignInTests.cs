using System.Net;
using System.Net.Http.Headers;
using EdgeMdm.Testing;

namespace EdgeMdm.Cloud.Tests;

/// <summary>Signing in to the hub's console with its accounts, under the supervisor page's session rules.</summary>
public sealed class ConsoleSignInTests : HubPerTest
{
    [Fact]
    public async Task An_account_signs_in_and_sees_its_sites_with_how_old_their_figures_are()
    {
        // Arrange
        await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon DC");
        using var anonymous = ConsoleSession.Browser(Hub);

        // Act
        using var toSignIn = await anonymous.GetAsync("/");
        using var browser = await ConsoleSession.SignedInAsync(Hub, "ana");
        var sites = await ConsoleSession.PageAsync(browser, "/");

        // Assert
        Assert.Equal(HttpStatusCode.Redirect, toSignIn.StatusCode);
        Assert.StartsWith("/signin?returnUrl=%2F", toSignIn.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("ana <small>(default, <span id=\"role\">tenant-admin</span>)</small>", sites, StringComparison.Ordinal);
        Assert.Contains("data-site=\"lyon-dc\"", sites, StringComparison.Ordinal);
        Assert.Contains("never synced", sites, StringComparison.Ordinal);
        Assert.Contains("1 offline", sites, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_five_lock_the_account_even_against_the_right_one()
    {
        // Arrange
        using (await ConsoleSession.SignedInAsync(Hub, "ana"))
        {
        }

        using var browser = ConsoleSession.Browser(Hub);

        // Act
        var wrong = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var attempt = await browser.SignInAsync("ana", "not it " + i);
            wrong.Add(attempt.StatusCode);
        }

        using var locked = await browser.SignInAsync("ana", ConsoleSession.Password);

        // Assert
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), HttpStatusCode.TooManyRequests], wrong);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.Contains("this account is locked", await locked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(browser.SessionKey);
    }

    [Fact]
    public async Task Removing_the_account_ends_its_open_session_at_the_next_request()
    {
        // Arrange
        using var browser = await ConsoleSession.SignedInAsync(Hub, "ana");
        await ConsoleSession.PageAsync(browser, "/");

        // Act
        await Hub.Store.Accounts.RemoveAccountAsync(TenantIds.Default, "ana");
        using var after = await browser.GetAsync("/");
        var signIn = await ConsoleSession.PageAsync(browser, after.Headers.Location!.PathAndQuery);

        // Assert
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/signin", after.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("Your session ended", signIn, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_account_sees_only_its_own_tenants_sites()
    {
        // Arrange
        await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "Lyon DC");
        var globex = await Hub.Store.Tenants.AddTenantAsync("Globex");
        await Hub.Store.Sites.AddSiteAsync(globex.TenantId, "Globex Yard");

        // Act
        using var browser = await ConsoleSession.SignedInAsync(Hub, "gus", globex.TenantId);
        var sites = await ConsoleSession.PageAsync(browser, "/");

        // Assert
        Assert.Contains("Globex Yard", sites, StringComparison.Ordinal);
        Assert.DoesNotContain("Lyon DC", sites, StringComparison.Ordinal);
        Assert.Contains($"gus <small>({globex.TenantId}, <span id=\"role\">tenant-admin</span>)</small>", sites, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_session_cookie_opens_no_api_call_and_an_api_token_opens_no_page()
    {
        // Arrange
        using var browser = await ConsoleSession.SignedInAsync(Hub, "ana");
        using var bearer = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = Hub.Rest.BaseAddress };
        bearer.DefaultRequestHeaders.Authorization = Hub.Rest.DefaultRequestHeaders.Authorization;
        bearer.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        // Act
        using var api = await browser.GetAsync("/api/v1/sites");
        using var page = await bearer.GetAsync("/");

        // Assert
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/signin", page.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_form_from_another_site_is_refused_and_signing_out_ends_the_session()
    {
        // Arrange
        using var browser = await ConsoleSession.SignedInAsync(Hub, "ana");

        // Act
        using var crossSite = await browser.PostFormAsync("/", "/signout", [], request => request.Headers.Add("Sec-Fetch-Site", "cross-site"));
        using var stillIn = await browser.GetAsync("/");
        using var signedOut = await browser.PostFormAsync("/", "/signout", []);
        using var after = await browser.GetAsync("/");

        // Assert
        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stillIn.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal(0, await SessionsAsync());
    }

    private async Task<long> SessionsAsync()
    {
        await using var session = await Hub.Store.Database.BeginAsync(write: false, CancellationToken.None);
        return (await session.SingleOrDefaultAsync("SELECT count(*) FROM web_sessions"))!.Long(0);
    }
}
