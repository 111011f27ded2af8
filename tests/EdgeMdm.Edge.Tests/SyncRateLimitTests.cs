using System.Threading.Channels;
using EdgeMdm.Contracts.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The sync worker against a hub that refuses every call with a wait: a real appliance, its real worker and gRPC
/// client, and over HTTP/2 a hub stand-in that answers each Hello as the hub's limiter does (RESOURCE_EXHAUSTED,
/// trailers-only, with a <see cref="RetryHint"/>), or as the hub does while its database cannot serve (UNAVAILABLE, the
/// same hint).
/// </summary>
public sealed class SyncRateLimitTests
{
    // An odd wait, so that no other timer of the appliance is taken for the worker's.
    private static readonly TimeSpan Hint = TimeSpan.FromSeconds(17);

    [Theory]
    [InlineData(8, "site over its limit")] // RESOURCE_EXHAUSTED
    [InlineData(14, "the hub's database is unavailable right now (connection pool exhausted)")] // UNAVAILABLE
    public async Task The_worker_waits_exactly_what_the_hub_asks_logs_it_once_and_does_not_take_it_for_an_uplink_failure(int status, string message)
    {
        // Arrange: the appliance's clock starts at the real time, as the gRPC client's deadlines run on the real clock
        var clock = new TimerWatchingClock(DateTimeOffset.UtcNow);
        await using var hub = await LimitingHub.StartAsync(clock, status, message);
        await using var server = await EdgeServer.StartWithAsync(
            services => services.AddSingleton<TimeProvider>(clock), "--hub", hub.Url, "--site-credential", "limited-site");
        var first = await hub.NextHelloAsync();

        // Act: each time the worker waits the hinted time, that time passes
        var seen = new List<DateTimeOffset> { first };
        for (var round = 0; round < 2; round++)
        {
            await clock.TimerOfAsync(Hint);
            clock.Advance(Hint);
            seen.Add(await hub.NextHelloAsync());
        }

        // Assert: tried again exactly when asked, never sooner (a backoff would have tried within a second); 34 s of
        // refusals did not make the uplink Offline (30 s of failures would); one warning for the whole episode
        Assert.Equal([first, first + Hint, first + Hint + Hint], seen);
        Assert.NotEqual(UplinkState.Offline, server.Get<UplinkMonitor>().State);
        var warning = Assert.Single(server.Logs.Entries, e => e.EventId.Id == 2005);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains($"({message}); waiting the 17.0 s it asks", warning.Message, StringComparison.Ordinal);
    }

    /// <summary>A fake clock that reports the due time of every timer made on it (every <c>Task.Delay</c> on it).</summary>
    private sealed class TimerWatchingClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _timers.Writer.TryWrite(dueTime);
            return timer;
        }

        /// <summary>Returns once a timer due in <paramref name="dueTime"/> exists.</summary>
        public async Task TimerOfAsync(TimeSpan dueTime)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (await _timers.Reader.ReadAsync(timeout.Token) != dueTime)
            {
                // another service's timer
            }
        }
    }

    /// <summary>Kestrel over cleartext HTTP/2 answering SiteSync.Hello with a refusal and a hint, noting the appliance's clock at each call.</summary>
    private sealed class LimitingHub : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly Channel<DateTimeOffset> _hellos = Channel.CreateUnbounded<DateTimeOffset>();

        private readonly TimeProvider _applianceClock;
        private readonly int _status;
        private readonly string _message;

        private LimitingHub(WebApplication app, TimeProvider applianceClock, int status, string message)
        {
            _app = app;
            _applianceClock = applianceClock;
            _status = status;
            _message = message;
        }

        public string Url => _app.Urls.First();

        public static async Task<LimitingHub> StartAsync(TimeProvider applianceClock, int status, string message)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
            var app = builder.Build();
            var hub = new LimitingHub(app, applianceClock, status, message);
            app.MapPost("/edgemdm.sync.v1.SiteSync/Hello", hub.Refuse);
            await app.StartAsync();
            return hub;
        }

        public async Task<DateTimeOffset> NextHelloAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            return await _hellos.Reader.ReadAsync(timeout.Token);
        }

        private void Refuse(HttpContext http)
        {
            _hellos.Writer.TryWrite(_applianceClock.GetUtcNow());
            http.Response.ContentType = "application/grpc";
            http.Response.Headers["grpc-status"] = _status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers["grpc-message"] = _message;
            http.Response.Headers[RetryHint.PushbackHeader] = RetryHint.Milliseconds(Hint);
            http.Response.Headers[RetryHint.RetryAfterHeader] = RetryHint.Seconds(Hint);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
