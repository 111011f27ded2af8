using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.ServiceDefaults.Tests;

/// <summary>Hostile or unlucky request bodies, sent byte by byte on a raw socket.</summary>
public sealed class RequestFaultTests : IAsyncLifetime
{
    private const int MaxBodyBytes = 1024;
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(
        new ServiceDefaultsOptions(),
        builder =>
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxBodyBytes);
            // The listener's default rate with a short grace (it must exceed the 1 s heartbeat), so a trickle is cut in ~3 s.
            builder.Configuration[ListenerLimitsOptions.Section + ":" + nameof(ListenerLimitsOptions.MinBodyRateGraceSeconds)] = "2";
        },
        app => app.MapPost("/upload", async (HttpRequest request) =>
        {
            await request.Body.CopyToAsync(Stream.Null);
            return TypedResults.NoContent();
        }).AllowAnonymous());

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Malformed_chunk_size_is_400_with_a_problem_and_one_warning()
    {
        await using var raw = await RawHttp.ConnectAsync(_app.BaseAddress);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await raw.SendAsync("POST /upload HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
        var response = await raw.ReadToEndAsync(timeout.Token);

        AssertProblemResponse(response, 400);
        AssertWarnedOnceWithoutStack(400);
    }

    [Fact]
    public async Task Body_trickling_below_the_minimum_rate_is_408_with_a_problem_and_one_warning()
    {
        await using var raw = await RawHttp.ConnectAsync(_app.BaseAddress);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await raw.SendAsync("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\nConnection: close\r\n\r\n");
        var response = await raw.TrickleUntilAnsweredAsync("x", TimeSpan.FromSeconds(2), timeout.Token);

        AssertProblemResponse(response, 408);
        AssertWarnedOnceWithoutStack(408);
    }

    [Fact]
    public async Task Body_over_the_size_limit_is_413_with_a_problem()
    {
        using var content = new ByteArrayContent(new byte[MaxBodyBytes * 2]);

        var response = await _app.PostAsync("/upload", content);

        await ProblemAssert.IsProblemAsync(response, StatusCodes.Status413PayloadTooLarge);
        AssertWarnedOnceWithoutStack(413);
    }

    private static void AssertProblemResponse(string response, int status)
    {
        Assert.StartsWith($"HTTP/1.1 {status} ", response, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", response, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"\"status\":{status}", response, StringComparison.Ordinal);
    }

    private void AssertWarnedOnceWithoutStack(int status)
    {
        var logs = _app.Logs.Entries;
        Assert.DoesNotContain(logs, e => e.Level >= LogLevel.Error);
        Assert.DoesNotContain(logs, e => e.Exception is not null);
        Assert.Single(logs, e => e.Level == LogLevel.Warning && e.EventId.Id == 9000 && e.Message.Contains($" refused with {status}: ", StringComparison.Ordinal));
    }
}
