using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace EdgeMdm.ServiceDefaults.Tests;

/// <summary>The listener limits every server gets from the service defaults, through a real Kestrel, set as an operator would (section <c>Listener</c>).</summary>
public sealed class ListenerLimitsTests : IAsyncLifetime
{
    private const int MaxBodyBytes = 2048;
    private const int MaxHeaders = 16;
    private const int RequestsPerSecondPerConnection = 1;
    private const int MaxConnections = 4;

    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(
        new ServiceDefaultsOptions(),
        builder =>
        {
            builder.Configuration["Listener:MaxRequestBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.Configuration["Listener:MaxRequestHeaderCount"] = MaxHeaders.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.Configuration["Listener:RequestsPerSecondPerConnection"] = RequestsPerSecondPerConnection.ToString(System.Globalization.CultureInfo.InvariantCulture);
            builder.Configuration["Listener:MaxConcurrentConnections"] = MaxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture);
        },
        app => app.MapPost("/upload", async (HttpRequest request) =>
        {
            await request.Body.CopyToAsync(Stream.Null);
            return TypedResults.NoContent();
        }).AllowAnonymous());

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_body_over_the_configured_size_is_413_with_a_problem()
    {
        using var content = new ByteArrayContent(new byte[MaxBodyBytes + 1]);

        var response = await _app.PostAsync("/upload", content);

        await ProblemAssert.IsProblemAsync(response, StatusCodes.Status413PayloadTooLarge);
    }

    [Theory]
    [InlineData(MaxHeaders + 1, 10)]
    [InlineData(2, 17 * 1024)]
    public async Task Too_many_or_too_large_headers_are_431(int headers, int bytesEach)
    {
        // Arrange
        await using var raw = await RawHttp.ConnectAsync(_app.BaseAddress);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var request = "GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
            + string.Concat(Enumerable.Range(0, headers).Select(i => $"X-Filler-{i}: {new string('a', bytesEach)}\r\n")) + "\r\n";

        // Act
        await raw.SendAsync(request);
        var response = await raw.ReadToEndAsync(timeout.Token);

        // Assert
        Assert.StartsWith("HTTP/1.1 431 ", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_connection_past_its_request_rate_gets_429_with_retry_after_while_another_is_served()
    {
        // Arrange: one connection, kept open; six seconds' worth of requests is its burst
        using var busy = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = _app.BaseAddress };
        var answers = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 6 * RequestsPerSecondPerConnection + 2 && refused is null; i++)
        {
            using var empty = new ByteArrayContent([]);
            var response = await busy.PostAsync(new Uri("/upload", UriKind.Relative), empty);
            answers.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                refused = response;
            else
                response.Dispose();
        }

        // Act
        using var fresh = new HttpClient { BaseAddress = _app.BaseAddress };
        using var other = await fresh.PostAsync(new Uri("/upload", UriKind.Relative), new ByteArrayContent([]));

        // Assert
        Assert.NotNull(refused);
        Assert.Equal(6 * RequestsPerSecondPerConnection, answers.Count(s => s == HttpStatusCode.NoContent));
        await ProblemAssert.IsProblemAsync(refused, StatusCodes.Status429TooManyRequests);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.NoContent, other.StatusCode);
        refused.Dispose();
    }

    [Fact]
    public async Task Connections_past_the_maximum_are_closed_without_an_answer()
    {
        // Arrange: the maximum, open and idle
        var held = new List<TcpClient>();
        try
        {
            for (var i = 0; i < MaxConnections; i++)
            {
                var tcp = new TcpClient();
                await tcp.ConnectAsync(_app.BaseAddress.Host, _app.BaseAddress.Port);
                held.Add(tcp);
                await AnsweredAndKeptOpenAsync(tcp);
            }

            // Act
            await using var extra = await RawHttp.ConnectAsync(_app.BaseAddress);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await SendIgnoringResetAsync(extra, "GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
            var answer = await extra.ReadToEndAsync(timeout.Token);

            // Assert
            Assert.Equal("", answer);
        }
        finally
        {
            foreach (var tcp in held)
                tcp.Dispose();
        }
    }

    [Fact]
    public async Task An_out_of_range_setting_stops_the_start_naming_it()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => TestApp.StartAsync(
            new ServiceDefaultsOptions(),
            builder => builder.Configuration["Listener:MaxRequestHeaderCount"] = "2",
            _ => { }));

        Assert.Contains(failure.Failures, f => f.StartsWith("Listener:MaxRequestHeaderCount must be between", StringComparison.Ordinal));
    }

    /// <summary>
    /// A connect completes in the kernel's backlog before the server accepts it: one request answered (and the
    /// connection kept alive) proves the server counts it, so the next connection is the one past the maximum.
    /// </summary>
    private static async Task AnsweredAndKeptOpenAsync(TcpClient tcp)
    {
        var stream = tcp.GetStream();
        await stream.WriteAsync("GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"u8.ToArray());
        var received = new StringBuilder();
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "a held connection was closed before it was answered");
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
    }

    private static async Task SendIgnoringResetAsync(RawHttp raw, string request)
    {
        try
        {
            await raw.SendAsync(request);
        }
        catch (IOException)
        {
            // Closed already: what is being tested.
        }
    }
}
