using System.Globalization;
using Grpc.Core;

namespace EdgeMdm.Contracts.Sync;

/// <summary>
/// How long the hub asks a site to wait before its next call when it refuses one for a reason that passes by itself: a
/// rate limit or a full disk (RESOURCE_EXHAUSTED), its database unable to serve for a while (UNAVAILABLE); one definition
/// for both ends. The hub sends both forms: <c>grpc-retry-pushback-ms</c>, which gRPC's own retry policy honours
/// (gRFC A6), and <c>retry-after</c> in whole seconds, as HTTP's 429 and 503 say it.
/// </summary>
public static class RetryHint
{
    public const string PushbackHeader = "grpc-retry-pushback-ms";

    public const string RetryAfterHeader = "retry-after";

    /// <summary>Longest wait a hint is taken for: a larger (or garbled) value from a hub is capped, never a site left idle for days.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromMinutes(10);

    /// <summary>The pushback value for <paramref name="wait"/>: whole milliseconds, at least 1.</summary>
    public static string Milliseconds(TimeSpan wait) =>
        Math.Max(1L, (long)Math.Ceiling(wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>The retry-after value for <paramref name="wait"/>: whole seconds rounded up, at least 1.</summary>
    public static string Seconds(TimeSpan wait) =>
        Math.Max(1L, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Both hint entries, for the trailers of a refused call.</summary>
    public static Metadata Trailers(TimeSpan wait) => new()
    {
        { PushbackHeader, Milliseconds(wait) },
        { RetryAfterHeader, Seconds(wait) },
    };

    /// <summary>
    /// The wait a refused call asks for: null unless it is RESOURCE_EXHAUSTED or UNAVAILABLE with a hint (pushback
    /// first, then retry-after), capped at <see cref="Longest"/>. A negative or unreadable value is no hint; so is an
    /// UNAVAILABLE without one (a connection that failed, which the client reports itself).
    /// </summary>
    public static TimeSpan? From(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.StatusCode is not (StatusCode.ResourceExhausted or StatusCode.Unavailable))
            return null;
        if (Read(exception.Trailers, PushbackHeader) is { } milliseconds)
            return Capped(milliseconds);
        if (Read(exception.Trailers, RetryAfterHeader) is { } seconds)
            return Capped(seconds > (long)Longest.TotalSeconds ? long.MaxValue : seconds * 1000);
        return null;
    }

    private static long? Read(Metadata trailers, string key) =>
        trailers.GetValue(key) is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    // Compared before converting: a value past TimeSpan's range must cap, not overflow.
    private static TimeSpan Capped(long milliseconds) =>
        milliseconds >= (long)Longest.TotalMilliseconds ? Longest : TimeSpan.FromMilliseconds(milliseconds);
}
