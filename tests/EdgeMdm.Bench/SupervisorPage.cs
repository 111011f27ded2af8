using System.Net;
using System.Net.ServerSentEvents;
using System.Text.RegularExpressions;

namespace EdgeMdm.Bench;

/// <summary>
/// One supervisor's browser tab on the appliance's page, over pinned https with a cookie jar of its own: signs in as the
/// break-glass administrator (GET /signin for the anti-forgery token and cookie, then the form POST with a same-origin
/// <c>Origin</c>), fetches the overview, and follows the live stream as <c>Supervisor/Assets/live.js</c> does: on every
/// "changed" event it fetches the page again with <c>X-EdgeMdm-Live: 1</c>, one fetch at a time, and one more if events
/// came meanwhile.
/// </summary>
internal sealed partial class SupervisorPage : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;
    private readonly Uri _origin;

    public SupervisorPage(ServerProcess server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var handler = ServerProcess.PinnedHandler(server.Pin);
        handler.AllowAutoRedirect = false;
        handler.UseCookies = true;
        handler.CookieContainer = new CookieContainer();
        handler.PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5);
        _http = new HttpClient(handler) { BaseAddress = server.Url, Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _origin = server.Url;
    }

    /// <summary>Signs in with the break-glass administrator's user name and password as written to <paramref name="dataDir"/>.</summary>
    public async Task SignInAsync(string dataDir, CancellationToken cancellationToken)
    {
        var (user, password) = BreakGlass(dataDir);
        using var timeout = Timeout(cancellationToken);
        using var form = await _http.GetAsync(new Uri("/signin", UriKind.Relative), timeout.Token);
        var html = await form.Content.ReadAsStringAsync(timeout.Token);
        if (form.StatusCode != HttpStatusCode.OK || CsrfField().Match(html) is not { Success: true } csrf)
            throw new ServerStartException($"GET /signin: {(int)form.StatusCode}, no anti-forgery field in the form");
        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri("/signin", UriKind.Relative))
        {
            Content = new FormUrlEncodedContent([new("username", user), new("password", password), new("__csrf", WebUtility.HtmlDecode(csrf.Groups["token"].Value))]),
        };
        post.Headers.Add("Origin", _origin.GetLeftPart(UriPartial.Authority));
        using var answer = await _http.SendAsync(post, timeout.Token);
        if (answer.StatusCode != HttpStatusCode.Redirect || answer.Headers.Location?.OriginalString is not "/")
            throw new ServerStartException($"POST /signin: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(timeout.Token)}");
    }

    /// <summary>GET / as the page's first load (or, with <paramref name="live"/>, as its script's refetch): time and bytes of the whole body.</summary>
    public async Task<PageFetch> OverviewAsync(bool live, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/", UriKind.Relative));
        request.Headers.Add("Accept", "text/html");
        if (live)
            request.Headers.Add("X-EdgeMdm-Live", "1");
        var started = Stopwatch.GetTimestamp();
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
        var ticks = Stopwatch.GetTimestamp() - started;
        if (response.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"GET /: {(int)response.StatusCode}", null, response.StatusCode);
        var tiles = string.Join(", ", Tile().Matches(Encoding.UTF8.GetString(body)).Select(m => m.Groups["name"].Value + " " + m.Groups["count"].Value));
        return new PageFetch(started, ticks, body.Length, tiles);
    }

    /// <summary>
    /// The page left open: the event stream, and a refetch of the overview for "changed" events (coalesced as live.js
    /// does) until <paramref name="cancellationToken"/> ends it. Every refetch is handed to <paramref name="fetched"/>.
    /// </summary>
    public async Task<LiveStats> FollowAsync(Action<PageFetch> fetched, Action<Exception> failed, CancellationToken cancellationToken)
    {
        var stats = new LiveStats();
        var wanted = System.Threading.Channels.Channel.CreateBounded<bool>(new System.Threading.Channels.BoundedChannelOptions(1)
        {
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite,
        });
        var refresher = Task.Run(async () =>
        {
            await foreach (var _ in wanted.Reader.ReadAllAsync(CancellationToken.None))
            {
                try
                {
                    fetched(await OverviewAsync(live: true, cancellationToken));
                    stats.Refetches++;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or OperationCanceledException)
                {
                    failed(e);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The window closed with a fetch in flight: not the server's error.
                }
            }
        }, CancellationToken.None);
        try
        {
            await ReadEventsAsync(stats, wanted.Writer, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or IOException)
        {
            failed(e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page is closed.
        }
        finally
        {
            wanted.Writer.TryComplete();
            await refresher;
        }

        return stats;
    }

    private async Task ReadEventsAsync(LiveStats stats, System.Threading.Channels.ChannelWriter<bool> wanted, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/events", UriKind.Relative));
        request.Headers.Add("Accept", "text/event-stream");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"GET /events: {(int)response.StatusCode}", null, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
        {
            if (string.Equals(item.EventType, "open", StringComparison.Ordinal))
                stats.Opened = true;
            else if (string.Equals(item.EventType, "changed", StringComparison.Ordinal))
            {
                stats.Changed++;
                wanted.TryWrite(true);
            }
        }

        // The server ended the stream (its session's end, or it stops): a browser would reload; here it is an error.
        if (!cancellationToken.IsCancellationRequested)
            throw new IOException("the event stream ended");
    }

    /// <summary>The break-glass administrator's credentials from <c>DATA/break-glass-admin.txt</c> (<c>user: NAME</c>, <c>password: PASSWORD</c>).</summary>
    private static (string User, string Password) BreakGlass(string dataDir)
    {
        var path = Path.Combine(dataDir, "break-glass-admin.txt");
        var fields = File.ReadAllLines(path)
            .Select(l => l.Split(':', 2, StringSplitOptions.TrimEntries))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        return fields.TryGetValue("user", out var user) && fields.TryGetValue("password", out var password)
            ? (user, password)
            : throw new ServerStartException($"{path}: no user and password lines");
    }

    private static CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        return timeout;
    }

    [GeneratedRegex("name=\"__csrf\" value=\"(?<token>[^\"]+)\"", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex CsrfField();

    /// <summary>The overview's tiles: <c>data-figure="compliant"&gt;&lt;span class="num"&gt;4100&lt;/span&gt;</c>.</summary>
    [GeneratedRegex("data-figure=\"(?<name>[a-z-]+)\"><span class=\"num\">(?<count>[0-9]+)</span>", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Tile();

    public void Dispose() => _http.Dispose();
}

/// <summary>One fetch of the overview: when it started and how long it took (Stopwatch ticks), the body's size in bytes, and its tiles' figures.</summary>
internal sealed record PageFetch(long Started, long Ticks, int Bytes, string Tiles);

/// <summary>What one open page saw: whether its stream opened, the "changed" events, and the refetches they caused.</summary>
internal sealed class LiveStats
{
    public bool Opened { get; set; }

    public int Changed { get; set; }

    public int Refetches { get; set; }
}
