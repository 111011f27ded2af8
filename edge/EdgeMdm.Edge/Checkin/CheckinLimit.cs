using System.Security.Claims;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Checkin;

/// <summary>How often one device may check in (section <c>Edge:Limits</c>).</summary>
public sealed class CheckinLimitOptions
{
    /// <summary>
    /// Check-ins a second from one device, with six seconds' worth at once; 0 lifts it. A device checks in once an
    /// interval and when woken; this only stops an agent caught in a loop from taking the floor's share of the writer.
    /// </summary>
    public int CheckinsPerSecondPerDevice { get; set; } = 10;
}

internal sealed class CheckinLimitOptionsValidator : IValidateOptions<CheckinLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, CheckinLimitOptions options) =>
        RateLimits.ValidatePerSecond("Edge:Limits:CheckinsPerSecondPerDevice", options.CheckinsPerSecondPerDevice);
}

internal static class CheckinLimit
{
    public const string Policy = "checkin";

    public static IServiceCollection AddCheckinLimit(this IServiceCollection services)
    {
        services.AddValidatedOptions<CheckinLimitOptions, CheckinLimitOptionsValidator>(EdgeOptions.Section + ":Limits");
        // Partitioned by device when the credential is known (authentication runs first), else by address.
        return services.AddRateLimiter(limiter => limiter.AddPolicy(Policy, http => RateLimits.PerSecond(
            http.User.Identity?.IsAuthenticated == true ? http.User.SecretHash() : RateLimits.RemoteAddress(http),
            http.RequestServices.GetRequiredService<IOptions<CheckinLimitOptions>>().Value.CheckinsPerSecondPerDevice)));
    }
}
