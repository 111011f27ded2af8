using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Web;

/// <summary>
/// The appliance's request limits: each a rate-limiter policy whose rate is one setting of section
/// <c>Edge:Limits</c>, checked at start like every other setting, and counted in a token bucket per partition
/// (<see cref="RateLimits.PerSecond"/>).
/// </summary>
internal static class RequestLimits
{
    public const string Section = EdgeOptions.Section + ":Limits";

    /// <summary>
    /// Adds <paramref name="policy"/>: per <paramref name="partition"/> of a request, <paramref name="perSecond"/> of the
    /// bound <typeparamref name="TOptions"/> a second with <paramref name="burstSeconds"/> seconds' worth at once.
    /// <paramref name="setting"/> is the property's name, as a refused value names it.
    /// </summary>
    public static IServiceCollection AddPerSecondLimit<TOptions>(
        this IServiceCollection services, string policy, string setting, Func<TOptions, int> perSecond, Func<HttpContext, string> partition, int burstSeconds = 6)
        where TOptions : class
    {
        services.AddOptions<TOptions>().BindConfiguration(Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>>(new Validator<TOptions>(Section + ":" + setting, perSecond));
        return services.AddRateLimiter(limiter => limiter.AddPolicy(policy, http => RateLimits.PerSecond(
            partition(http), perSecond(http.RequestServices.GetRequiredService<IOptions<TOptions>>().Value), burstSeconds)));
    }

    private sealed class Validator<TOptions>(string setting, Func<TOptions, int> perSecond) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options) => RateLimits.ValidatePerSecond(setting, perSecond(options));
    }
}
