using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// What one client may cost a server's HTTP listeners (section <c>Listener</c>, both servers; <c>EDGEMDM_Listener__*</c>):
/// Kestrel's connection, header, body and HTTP/2 limits, and a request rate per connection. Set once here for both
/// servers; a host's own body limit stays unless <see cref="MaxRequestBodyBytes"/> is set.
/// </summary>
public sealed class ListenerLimitsOptions
{
    public const string Section = "Listener";

    /// <summary>Open connections at once, over all listeners; one more is closed at once. A floor of devices checks in over short-lived connections, and live pages hold one each.</summary>
    public long MaxConcurrentConnections { get; set; } = 20_000;

    /// <summary>Connections upgraded to another protocol (WebSockets) at once.</summary>
    public long MaxConcurrentUpgradedConnections { get; set; } = 1_000;

    /// <summary>All of a request's headers together, in bytes; more is answered 431.</summary>
    public int MaxRequestHeadersTotalBytes { get; set; } = 16 * 1024;

    /// <summary>Headers in one request; more is answered 431.</summary>
    public int MaxRequestHeaderCount { get; set; } = 64;

    /// <summary>The largest request body, in bytes, where an endpoint sets none of its own; unset keeps the host's (64 KiB on the appliance, 1 MiB on the hub). More is answered 413.</summary>
    public long? MaxRequestBodyBytes { get; set; }

    /// <summary>Slowest a body may arrive after <see cref="MinBodyRateGraceSeconds"/>, in bytes a second: a client dribbling a body does not hold a connection forever.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>How long a body may arrive slower than <see cref="MinRequestBodyBytesPerSecond"/> before the connection is closed.</summary>
    public int MinBodyRateGraceSeconds { get; set; } = 5;

    /// <summary>Time a client has to send a request's headers once it began.</summary>
    public int RequestHeadersTimeoutSeconds { get; set; } = 30;

    /// <summary>HTTP/2 streams open at once on one connection (gRPC calls, a browser's requests).</summary>
    public int MaxStreamsPerConnection { get; set; } = 100;

    /// <summary>
    /// Requests a second on one connection, with six seconds' worth at once; 0 lifts it. Far above what a device or a
    /// page asks: it bounds what one connection can make the server do, not what a floor of devices can.
    /// </summary>
    public int RequestsPerSecondPerConnection { get; set; } = 2_000;

    internal static ValidateOptionsResult Validate(ListenerLimitsOptions options)
    {
        var failures = new List<string>();
        Check(failures, nameof(MaxConcurrentConnections), options.MaxConcurrentConnections, 1, 1_000_000);
        Check(failures, nameof(MaxConcurrentUpgradedConnections), options.MaxConcurrentUpgradedConnections, 1, 1_000_000);
        Check(failures, nameof(MaxRequestHeadersTotalBytes), options.MaxRequestHeadersTotalBytes, 4 * 1024, 1024 * 1024);
        Check(failures, nameof(MaxRequestHeaderCount), options.MaxRequestHeaderCount, 16, 1_000);
        if (options.MaxRequestBodyBytes is { } body)
            Check(failures, nameof(MaxRequestBodyBytes), body, 1024, 16L * 1024 * 1024 * 1024);
        Check(failures, nameof(MinRequestBodyBytesPerSecond), (long)options.MinRequestBodyBytesPerSecond, 1, 1_000_000);
        Check(failures, nameof(MinBodyRateGraceSeconds), options.MinBodyRateGraceSeconds, 1, 300);
        Check(failures, nameof(RequestHeadersTimeoutSeconds), options.RequestHeadersTimeoutSeconds, 1, 300);
        Check(failures, nameof(MaxStreamsPerConnection), options.MaxStreamsPerConnection, 1, 10_000);
        if (RateLimits.ValidatePerSecond(Section + ":" + nameof(RequestsPerSecondPerConnection), options.RequestsPerSecondPerConnection) is { Failed: true } rate)
            failures.AddRange(rate.Failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, string name, long value, long min, long max)
    {
        if (value < min || value > max)
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{Section}:{name} must be between {min} and {max}, not {value}"));
    }
}

/// <summary>Applies <see cref="ListenerLimitsOptions"/> to Kestrel and to the rate limiter's global limiter.</summary>
internal static class ListenerLimits
{
    public static IServiceCollection AddListenerLimits(this IServiceCollection services)
    {
        services.AddOptions<ListenerLimitsOptions>().BindConfiguration(ListenerLimitsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ListenerLimitsOptions>>(new Validation());
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ListenerLimitsOptions>>((kestrel, listener) => Apply(kestrel.Limits, listener.Value));
        // The rate limiter's global limiter (its rejections are counted on /metrics as result="global_limiter").
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ListenerLimitsOptions>>((limiter, listener) =>
        {
            var perSecond = listener.Value.RequestsPerSecondPerConnection;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => RateLimits.PerSecond(http.Connection.Id, perSecond));
        });
        return services;
    }

    private static void Apply(KestrelServerLimits limits, ListenerLimitsOptions options)
    {
        limits.MaxConcurrentConnections = options.MaxConcurrentConnections;
        limits.MaxConcurrentUpgradedConnections = options.MaxConcurrentUpgradedConnections;
        limits.MaxRequestHeadersTotalSize = options.MaxRequestHeadersTotalBytes;
        limits.MaxRequestHeaderCount = options.MaxRequestHeaderCount;
        if (options.MaxRequestBodyBytes is { } body)
            limits.MaxRequestBodySize = body;
        limits.MinRequestBodyDataRate = new MinDataRate(options.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(options.MinBodyRateGraceSeconds));
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(options.RequestHeadersTimeoutSeconds);
        limits.Http2.MaxStreamsPerConnection = options.MaxStreamsPerConnection;
        // HPACK-decoded headers count against the same total as HTTP/1.1's.
        limits.Http2.MaxRequestHeaderFieldSize = Math.Min(limits.Http2.MaxRequestHeaderFieldSize, options.MaxRequestHeadersTotalBytes);
    }

    private sealed class Validation : IValidateOptions<ListenerLimitsOptions>
    {
        public ValidateOptionsResult Validate(string? name, ListenerLimitsOptions options) => ListenerLimitsOptions.Validate(options);
    }
}
