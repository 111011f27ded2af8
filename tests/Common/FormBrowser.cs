using System.Net;
using System.Text.RegularExpressions;

namespace EdgeMdm.Testing;

/// <summary>
/// What a browser does with a server's web pages (the supervisor page, the hub's console): keeps cookies, reads the
/// anti-forgery token out of the form it was given, and posts forms back. It follows no redirect, so a test sees each
/// answer.
/// </summary>
internal sealed partial class FormBrowser : IDisposable
{
    private readonly HttpClient _http;

    /// <param name="client">An HTTP client to the server over <paramref name="handler"/>, which the browser sets up.</param>
    public FormBrowser(Func<SocketsHttpHandler, HttpClient> client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Cookies = new CookieContainer();
        _http = client(new SocketsHttpHandler { CookieContainer = Cookies, AllowAutoRedirect = false });
        _http.DefaultRequestHeaders.Accept.ParseAdd("text/html");
    }

    public CookieContainer Cookies { get; }

    /// <summary>The session cookie's value now; null when there is none.</summary>
    public string? SessionKey => Cookies.GetAllCookies().FirstOrDefault(c => string.Equals(c.Name, "__Host-edgemdm-session", StringComparison.Ordinal))?.Value;

    public Task<HttpResponseMessage> GetAsync(string path, Action<HttpRequestMessage>? adjust = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        adjust?.Invoke(request);
        return _http.SendAsync(request);
    }

    /// <summary>Sends <paramref name="request"/> and returns as soon as the headers arrived (for an event stream).</summary>
    public Task<HttpResponseMessage> SendStreamingAsync(HttpRequestMessage request) => _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

    /// <summary>Opens <paramref name="formPage"/>, then posts <paramref name="fields"/> with the token that page's form carried.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string formPage, string action, IEnumerable<KeyValuePair<string, string>> fields, Action<HttpRequestMessage>? adjust = null)
    {
        using var page = await _http.GetAsync(formPage);
        var token = Token(await page.Content.ReadAsStringAsync());
        var request = new HttpRequestMessage(HttpMethod.Post, action)
        {
            Content = new FormUrlEncodedContent([.. fields, new("__csrf", token)]),
        };
        adjust?.Invoke(request);
        return await _http.SendAsync(request);
    }

    public Task<HttpResponseMessage> SignInAsync(string user, string password, params KeyValuePair<string, string>[] more) =>
        PostFormAsync("/signin", "/signin", [new("username", user), new("password", password), new("returnUrl", "/"), .. more]);

    public static string Token(string html) =>
        TokenField().Match(html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups["token"].Value) : throw new InvalidOperationException("the page has no anti-forgery token");

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("name=\"__csrf\" value=\"(?<token>[^\"]+)\"", RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex TokenField();
}
