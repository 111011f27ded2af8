using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Supervisor.Pages;
using EdgeMdm.ServiceDefaults.WebSignIn;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

using EdgeMdm.ServiceDefaults.WebPages;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>The overview at the appliance's root, the live event stream its pages follow, and the pages' assets.</summary>
internal static class OverviewEndpoints
{
    /// <summary>Open live streams beyond this are refused (503): each holds a connection for as long as a page is open.</summary>
    public const int MaxLiveStreams = 200;

    /// <summary>How often a stream looks for committed changes, and the least time between two "changed" events.</summary>
    public static readonly TimeSpan LookEvery = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan AtMostEvery = TimeSpan.FromSeconds(2);

    private static int _liveStreams;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext http, OverviewReader overview, ComplianceHistory history) =>
            {
                var model = overview.Current();
                return new RazorComponentResult<OverviewPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["Model"] = model, ["User"] = http.User, ["LastDay"] = history.LastDay(model.At),
                });
            })
            .RequireAuthorization(SupervisorAccess.View)
            .AddEndpointFilter<PageHeaders>();
        app.MapGet("/events", Events).RequireAuthorization(SupervisorAccess.View);
        app.MapGet("/assets/{name}", (string name) => PageAssets.Serve(name)).AllowAnonymous();
    }

    private static async Task<IResult> Events(HttpContext http, EdgeStorage storage, IWebUserCheck users, IHostApplicationLifetime lifetime, TimeProvider clock)
    {
        var session = await http.AuthenticateAsync(WebSignInSetup.Scheme);
        var expires = session.Properties?.ExpiresUtc ?? clock.GetUtcNow();
        if (Interlocked.Increment(ref _liveStreams) > MaxLiveStreams)
        {
            Interlocked.Decrement(ref _liveStreams);
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: $"more than {MaxLiveStreams} live pages are open; reload later");
        }

        http.Response.Headers.CacheControl = "no-store";
        var ends = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        http.Response.RegisterForDispose(ends);
        return TypedResults.ServerSentEvents(Changes(storage, users, http.User, expires, clock, ends.Token));
    }

    /// <summary>
    /// "changed" whenever the appliance committed something since the last look (a check-in, a slot, an alert), at most
    /// every <see cref="AtMostEvery"/>; the page then fetches itself again. The stream ends when the session would have
    /// timed out, the person may no longer be here, or the appliance stops; the page then reloads (and signs in again).
    /// </summary>
    private static async IAsyncEnumerable<SseItem<string>> Changes(
        EdgeStorage storage, IWebUserCheck users, System.Security.Claims.ClaimsPrincipal user, DateTimeOffset expires, TimeProvider clock,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            yield return new SseItem<string>("hello", "open") { ReconnectionInterval = TimeSpan.FromSeconds(5) };
            var seen = storage.Writer.Counters.Units;
            var lastSent = clock.GetUtcNow();
            var lastChecked = lastSent;
            while (!cancellationToken.IsCancellationRequested && clock.GetUtcNow() < expires)
            {
                try
                {
                    await Task.Delay(LookEvery, clock, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }

                var now = clock.GetUtcNow();
                if (now - lastChecked >= TimeSpan.FromSeconds(30))
                {
                    if (!await users.IsStillValidAsync(user, cancellationToken))
                        yield break;
                    lastChecked = now;
                    yield return new SseItem<string>("", "ping");
                }

                var units = storage.Writer.Counters.Units;
                if (units == seen || now - lastSent < AtMostEvery)
                    continue;
                seen = units;
                lastSent = now;
                yield return new SseItem<string>(now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), "changed");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _liveStreams);
        }
    }
}
