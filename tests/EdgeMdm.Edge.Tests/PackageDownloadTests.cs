using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// <c>GET</c>/<c>HEAD /api/v1/packages/{sha256}</c> on real Kestrel: who may download, and the RFC 9110 range and
/// conditional semantics (sections 13 and 14) a resuming agent relies on.
/// </summary>
public sealed class PackageDownloadTests : IAsyncLifetime, IDisposable
{
    private const int Size = 300_000;

    private readonly HubCatalog _hub = new();
    private EdgeServer _server = null!;
    private TestPackage _scanner = null!;
    private string _secret = "";

    private string Path => "/api/v1/packages/" + _scanner.Sha256;

    private string ETag => "\"" + _scanner.Sha256 + "\"";

    public async Task InitializeAsync()
    {
        // Plain HTTP for brevity: the handling is the same on every transport, and TlsPackageDownloadTests proves the
        // device transport (docs/adr/0003-package-transport.md).
        _server = await EdgeServer.StartAsync("--urls", "http://127.0.0.1:0");
        _scanner = _hub.Package(HubCatalog.SeedApp, HubCatalog.SeedVersion, Size);
        await HubCatalog.ApplyAsync(_server, _hub.Key(), _hub.Published(_scanner));
        _secret = (await _server.EnrollAsync("SN-1")).DeviceSecret;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _hub.Dispose();

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, Action<HttpRequestHeaders>? headers = null)
    {
        var request = EdgeServer.Authorized(method, Path, _secret);
        headers?.Invoke(request.Headers);
        return _server.Http.SendAsync(request);
    }

    /// <summary>What a GET of the whole blob and a HEAD both answer: 200, the strong ETag, the length, and that ranges are accepted.</summary>
    private void AssertWholeBlobHeaders(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ETag, response.Headers.ETag?.ToString());
        Assert.Equal("bytes", Assert.Single(response.Headers.AcceptRanges));
        Assert.Equal(Size, response.Content.Headers.ContentLength);
    }

    private byte[] Slice(long from, long toInclusive) => _scanner.Bytes[(int)from..(int)(toInclusive + 1)];

    [Fact]
    public async Task A_whole_download_is_the_blob_with_its_etag_and_accept_ranges()
    {
        await HubCatalog.CacheAsync(_server, _scanner);

        using var response = await SendAsync(HttpMethod.Get);

        AssertWholeBlobHeaders(response);
        Assert.NotNull(response.Content.Headers.LastModified);
        Assert.Equal(_scanner.Bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(0L, 99L, 0L, 99L)]          // bytes=0-99: the first hundred
    [InlineData(null, 100L, Size - 100L, Size - 1L)] // bytes=-100: a suffix, the last hundred
    [InlineData(100L, null, 100L, Size - 1L)]   // bytes=100-: open-ended, what a resuming agent asks
    [InlineData(Size - 10L, Size + 5000L, Size - 10L, Size - 1L)] // a last byte past the end is cut to the end
    [InlineData(262_000L, 262_300L, 262_000L, 262_300L)] // across the server's 256 KiB copy chunks
    public async Task A_single_range_answers_206_with_exactly_those_bytes(long? from, long? to, long first, long last)
    {
        await HubCatalog.CacheAsync(_server, _scanner);

        using var response = await SendAsync(HttpMethod.Get, h => h.Range = new RangeHeaderValue(from, to));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(new ContentRangeHeaderValue(first, last, Size), response.Content.Headers.ContentRange);
        Assert.Equal(Slice(first, last), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_range_outside_the_file_answers_416_with_the_length()
    {
        await HubCatalog.CacheAsync(_server, _scanner);

        using var response = await SendAsync(HttpMethod.Get, h => h.Range = new RangeHeaderValue(Size, null));

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */" + Size.ToString(CultureInfo.InvariantCulture), response.Content.Headers.ContentRange?.ToString());
    }

    [Fact]
    public async Task Several_ranges_answer_the_whole_blob()
    {
        await HubCatalog.CacheAsync(_server, _scanner);

        using var response = await SendAsync(HttpMethod.Get, h =>
        {
            var ranges = new RangeHeaderValue();
            ranges.Ranges.Add(new RangeItemHeaderValue(0, 9));
            ranges.Ranges.Add(new RangeItemHeaderValue(100, 109));
            h.Range = ranges;
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_scanner.Bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("items=0-9")]
    [InlineData("lines=0-9")]
    [InlineData("Bytes=0-9")]
    public async Task A_range_in_a_unit_the_server_does_not_know_is_ignored(string range)
    {
        // RFC 9110 §14.2: "bytes" is the only range unit here, and its name is case-insensitive; any other unit is
        // ignored and the whole representation sent.
        await HubCatalog.CacheAsync(_server, _scanner);

        using var response = await SendAsync(HttpMethod.Get, h => h.TryAddWithoutValidation("Range", range));

        var known = range.StartsWith("bytes", StringComparison.OrdinalIgnoreCase);
        Assert.Equal(known ? HttpStatusCode.PartialContent : HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(known ? Slice(0, 9) : _scanner.Bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task If_none_match_with_the_etag_answers_304_without_a_body()
    {
        await HubCatalog.CacheAsync(_server, _scanner);

        using var response = await SendAsync(HttpMethod.Get, h => h.IfNoneMatch.Add(new EntityTagHeaderValue(ETag)));

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task If_range_with_the_current_etag_honours_the_range()
    {
        await HubCatalog.CacheAsync(_server, _scanner);

        using var response = await SendAsync(HttpMethod.Get, h =>
        {
            h.Range = new RangeHeaderValue(1000, null);
            h.IfRange = new RangeConditionHeaderValue(ETag);
        });

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(Slice(1000, Size - 1), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task If_range_with_a_stale_etag_answers_the_whole_blob()
    {
        await HubCatalog.CacheAsync(_server, _scanner);

        using var response = await SendAsync(HttpMethod.Get, h =>
        {
            h.Range = new RangeHeaderValue(1000, null);
            h.IfRange = new RangeConditionHeaderValue("\"" + new string('0', 64) + "\"");
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_scanner.Bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Head_answers_the_headers_of_a_get_and_no_body()
    {
        await HubCatalog.CacheAsync(_server, _scanner);

        using var response = await SendAsync(HttpMethod.Head);

        AssertWholeBlobHeaders(response);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Without_a_device_credential_the_answer_is_401_with_the_bearer_challenge()
    {
        await HubCatalog.CacheAsync(_server, _scanner);

        using var anonymous = await _server.Http.GetAsync(new Uri(Path, UriKind.Relative));
        using var unknown = await _server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, Path, "ds_not-a-device-secret"));

        foreach (var response in new[] { anonymous, unknown })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer realm=\"edgemdm-device\"", response.Headers.WwwAuthenticate.ToString());
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task A_package_the_site_does_not_know_is_404()
    {
        var unknown = new string('a', 64);

        using var response = await _server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/packages/" + unknown, _secret));
        using var malformed = await _server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/packages/" + _scanner.Sha256.ToUpperInvariant(), _secret));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_package_the_device_s_declarations_do_not_name_is_403_with_the_reason()
    {
        var other = _hub.Package("com.acme.payroll", 7, 2_000);
        await HubCatalog.ApplyAsync(_server, _hub.Published(other));
        await HubCatalog.CacheAsync(_server, other);

        using var response = await _server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/packages/" + other.Sha256, _secret));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("do not name package", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_named_package_not_cached_yet_is_503_with_retry_after_and_counts_a_miss()
    {
        using var response = await SendAsync(HttpMethod.Get);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter?.Delta);
        await _server.Cache.FlushUsageAsync();
        Assert.Equal((0L, 1L), (_server.Get<IPackageCacheStore>().CacheCounters().Hits, _server.Get<IPackageCacheStore>().CacheCounters().Misses));
    }

    [Fact]
    public async Task Served_downloads_count_hits_and_move_the_blob_s_last_use()
    {
        await HubCatalog.CacheAsync(_server, _scanner);
        var cachedAt = _server.Get<IPackageCacheStore>().CacheEntry(_scanner.Sha256)!.LastUsedAt;
        _server.Clock.Advance(TimeSpan.FromHours(1));

        using (await SendAsync(HttpMethod.Get))
        using (await SendAsync(HttpMethod.Head))
        {
            await _server.Cache.FlushUsageAsync();
        }

        Assert.Equal(2L, _server.Get<IPackageCacheStore>().CacheCounters().Hits);
        Assert.Equal(cachedAt + TimeSpan.FromHours(1), _server.Get<IPackageCacheStore>().CacheEntry(_scanner.Sha256)!.LastUsedAt);
    }

    [Fact]
    public async Task Downloads_and_check_ins_one_after_another_on_one_connection_each_get_their_own_bytes()
    {
        await HubCatalog.CacheAsync(_server, _scanner);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1 };
        using var http = new HttpClient(handler) { BaseAddress = _server.Http.BaseAddress };
        var connections = 0;
        handler.ConnectCallback = async (context, cancellationToken) =>
        {
            Interlocked.Increment(ref connections);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        };

        for (var round = 0; round < 3; round++)
        {
            using var range = EdgeServer.Authorized(HttpMethod.Get, Path, _secret);
            range.Headers.Range = new RangeHeaderValue(1_000 * round, 200_000 + round);
            using (var answer = await http.SendAsync(range))
                Assert.Equal(Slice(1_000 * round, 200_000 + round), await answer.Content.ReadAsByteArrayAsync());
            using var whole = EdgeServer.Authorized(HttpMethod.Get, Path, _secret);
            using (var answer = await http.SendAsync(whole))
                Assert.Equal(_scanner.Bytes, await answer.Content.ReadAsByteArrayAsync());
            using var checkin = EdgeServer.Authorized(HttpMethod.Post, "/api/v1/checkin", _secret, JsonContent.Create(new CheckinRequest(), DeviceProtocolJson.Default.CheckinRequest));
            using (var answer = await http.SendAsync(checkin))
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        Assert.Equal(1, connections);
    }
}
