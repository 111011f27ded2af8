using System.Threading.RateLimiting;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace EdgeMdm.ServiceDefaults;

/// <summary>The partitions the servers' HTTP limits use: a token bucket per caller, whose refused lease says when to retry.</summary>
public static class RateLimits
{
    /// <summary>
    /// A bucket per <paramref name="key"/> that refills <paramref name="perSecond"/> tokens every second and holds
    /// <paramref name="burstSeconds"/> seconds' worth, so a caller that was quiet may catch up at once; a request past it
    /// is refused at once (no queue), with Retry-After. A rate of 0 lifts the limit.
    /// </summary>
    public static RateLimitPartition<string> PerSecond(string key, int perSecond, int burstSeconds = 6)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegative(perSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burstSeconds);
        if (perSecond == 0)
            return RateLimitPartition.GetNoLimiter(key);
        return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond * burstSeconds,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary>The check a setting for <see cref="PerSecond"/> gets: from 0 (no limit) up to 100000 a second.</summary>
    public static ValidateOptionsResult ValidatePerSecond(string setting, int perSecond) =>
        perSecond is < 0 or > 100_000
            ? ValidateOptionsResult.Fail($"{setting} must be between 0 (no limit) and 100000, not {perSecond.ToString(CultureInfo.InvariantCulture)}")
            : ValidateOptionsResult.Success;

    /// <summary>The caller's network address, as the partition of a limit on who may try at all (an unauthenticated call).</summary>
    public static string RemoteAddress(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
    }
}
