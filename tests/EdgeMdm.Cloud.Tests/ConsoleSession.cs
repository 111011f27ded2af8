using System.Net;
using EdgeMdm.Domain.Security;
using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Testing;

namespace EdgeMdm.Cloud.Tests;

/// <summary>A person at the hub's console: an account of a tenant, signed in over the real sign-in form.</summary>
internal static class ConsoleSession
{
    public const string Password = "a central IT password";

    private static readonly string Hashed = PasswordHash.Create(Password, 1_000);

    /// <summary>A browser of the hub (cookies kept, no redirect followed), over the hub's plain http on loopback.</summary>
    public static FormBrowser Browser(RunningHub hub) => new(handler =>
    {
        handler.UseCookies = false;
        return new HttpClient(new LoopbackCookies(handler)) { BaseAddress = hub.Rest.BaseAddress };
    });

    /// <summary>
    /// Keeps cookies as a browser does on a loopback address, which it counts as a secure origin: Secure cookies set
    /// over plain http are kept and sent back (.NET's own cookie handling sends them over https only).
    /// </summary>
    private sealed class LoopbackCookies(SocketsHttpHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var secure = new UriBuilder(request.RequestUri!) { Scheme = "https", Port = request.RequestUri!.Port }.Uri;
            if (inner.CookieContainer.GetCookieHeader(secure) is { Length: > 0 } cookies)
                request.Headers.Add("Cookie", cookies);
            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Set-Cookie", out var set))
            {
                foreach (var cookie in set)
                    inner.CookieContainer.SetCookies(secure, cookie);
            }

            return response;
        }
    }

    /// <summary>
    /// Adds <paramref name="user"/> to <paramref name="tenant"/> (the default one when null) with <paramref name="grant"/>
    /// (a tenant admin when null) and signs them in.
    /// </summary>
    public static async Task<FormBrowser> SignedInAsync(RunningHub hub, string user = "ana", string? tenant = null, HubGrant? grant = null)
    {
        await hub.Store.Accounts.AddAccountAsync(tenant ?? TenantIds.Default, user, Hashed, grant);
        var browser = Browser(hub);
        using var signedIn = await browser.SignInAsync(user, Password, new KeyValuePair<string, string>("tenant", tenant ?? ""));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return browser;
    }

    /// <summary>The page's HTML, after checking it was answered 200.</summary>
    public static async Task<string> PageAsync(FormBrowser browser, string path)
    {
        using var page = await browser.GetAsync(path);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"{path}: {(int)page.StatusCode} {html}");
        return html;
    }
}
