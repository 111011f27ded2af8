using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// The cross-cutting pieces both servers share, after eShop's ServiceDefaults: one call on the builder
/// (<see cref="AddServiceDefaults{TBuilder}"/>), one on the built app (<see cref="MapDefaultEndpoints"/>).
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Where Prometheus scrapes.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The series (distinct tag sets) one metric keeps before it sums the rest into an overflow series.</summary>
    public const int MetricSeriesLimit = 512;

    // ASP.NET Core's request, connection, rate-limiter and exception counters, and the runtime's GC, thread pool and
    // CPU figures (the System.Runtime meter is built in since .NET 9: no instrumentation package needed).
    private static readonly string[] FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.RateLimiting",
        "Microsoft.AspNetCore.Diagnostics",
        "System.Runtime",
    ];

    /// <summary>
    /// Registers problem details, health checks, OpenTelemetry metrics with the Prometheus exporter, authentication,
    /// authorization whose fallback policy refuses, the rate limiter with one rejection answer, and
    /// <see cref="RequestFaultHandler"/>.
    /// </summary>
    /// <remarks>
    /// After it the host adds only its own parts, to the same registrations: checks with
    /// <c>Services.AddHealthChecks().AddCheck(..., tags: [HealthTags.Ready])</c>, schemes with
    /// <c>Services.AddAuthentication().AddScheme(...)</c>, policies with <c>Services.AddAuthorization(...)</c> and
    /// <c>Services.AddRateLimiter(o =&gt; o.AddPolicy(...))</c> (never its own <c>OnRejected</c>: that would replace
    /// the shared answer). A host registers its own <see cref="TimeProvider"/> (a test's fake clock) before this call.
    /// <c>AddAuthentication</c> brings Data Protection, whose hosted service loads its key ring at start, creating one
    /// under <c>~/.aspnet</c> unless the host persists keys elsewhere (<c>AddDataProtection().PersistKeysToFileSystem</c>).
    /// </remarks>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, ServiceDefaultsOptions options)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var services = builder.Services;

        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);

        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path.Value);
        services.AddExceptionHandler<RequestFaultHandler>();

        services.AddHealthChecks();
        // Every probe of an unready server would log an error line per check: /readyz itself says why, and the faults
        // that make a server unready warn once per interval where they happen (RequestFaultHandler).
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", LogLevel.Critical);
        // Keys are kept in the server's own data directory, protected by its file permissions; on Linux there is no
        // machine-level key encryption to configure, and the warning at every first start says only that.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);

        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(FrameworkMeters)
            .AddMeter([.. options.Meters])
            // Every metric stream allocates its whole series table at once, sized by this limit: at the SDK's default
            // of 2,000 the ~56 streams a server exports held 10 MB, more than a site's 5,000 devices' worth of anything
            // else. A server's busiest metric (requests by route, method and status) stays well under it; past it,
            // further series are summed into one marked otel.metric.overflow="true" rather than dropped.
            .AddView(_ => new MetricStreamConfiguration { CardinalityLimit = MetricSeriesLimit })
            .AddPrometheusExporter());

        services.AddAuthentication();
        // Closed unless declared: an endpoint that names no policy and is not AllowAnonymous is refused to everyone.
        // EndpointPolicies.Unprotected finds such an endpoint in a test, before a caller does. Routing's own answers
        // (405 for a method, 415 for a content type no endpoint accepts) are endpoints too, with no metadata and no
        // route: they touch nothing, so they run, and the caller learns what is wrong with the request.
        services.AddAuthorizationBuilder().SetFallbackPolicy(new AuthorizationPolicyBuilder()
            .RequireAssertion(context => context.Resource is HttpContext http && EndpointPolicies.IsRoutingRejection(http.GetEndpoint()))
            .Build());
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, RefusalResultHandler>();

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // One answer for every policy a host adds. A limiter that knows when a permit frees up (fixed or sliding
            // window, token bucket) says so in the lease; a concurrency limiter does not, and then neither do we.
            limiter.OnRejected = async (context, _) =>
            {
                var detail = "too many requests; retry later";
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait))
                    detail = $"too many requests; retry after {Problems.SetRetryAfter(context.HttpContext.Response, wait)} s";
                await Problems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, detail);
            };
        });
        services.AddListenerLimits();

        return builder;
    }

    /// <summary>
    /// Adds the shared middleware and maps <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>. Call it first after
    /// <c>Build()</c>, before any <c>Use*</c> of the host's own; map the host's endpoints before or after it.
    /// </summary>
    /// <remarks>
    /// The order, which the host need not repeat: exception handler (outermost, so it answers for everything inside),
    /// status code pages (a problem body for an empty 401/403/404), routing (explicit: the rate limiter and
    /// authorization read the matched endpoint's metadata; <c>WebApplication</c> would otherwise put routing, and the
    /// authentication and authorization it adds implicitly, before the exception handler), authentication, rate
    /// limiter (after authentication so a policy can partition by caller, before authorization so refused credential
    /// guesses count too), authorization. Middleware the host adds afterwards runs after authorization.
    /// </remarks>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        // Liveness: the process serves requests. No check runs: a dependency being down is not a reason to restart.
        app.MapGet("/healthz", () => TypedResults.Text("ok\n")).Probe();

        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthTags.Ready),
            ResponseWriter = Readiness.WriteAsync,
            // Degraded stays 200 (the framework's mapping): a check says Degraded exactly when the process still serves.
        }).Probe();

        app.MapPrometheusScrapingEndpoint(MetricsPath).Probe();

        return app;
    }

    // Probes are open to the monitoring that calls them, never limited by a host's global limiter, and not part of
    // the API a client is given.
    private static void Probe<TBuilder>(this TBuilder endpoint)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.AllowAnonymous().DisableRateLimiting().ExcludeFromDescription();
}
