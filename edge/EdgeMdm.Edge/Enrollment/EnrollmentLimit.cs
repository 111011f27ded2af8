using System.Globalization;
using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Enrollment;

/// <summary>How often one network address may try to enroll (section <c>Edge:Limits</c>).</summary>
public sealed class EnrollmentLimitOptions
{
    public const string Section = EdgeOptions.Section + ":Limits";

    /// <summary>
    /// Enrollments a second from one address, with six seconds' worth at once (a cart of devices staged together); 0
    /// lifts it. Each device of a site has its own address on the Wi-Fi; a flood of guesses from one does not get to
    /// cost the appliance a password hash each.
    /// </summary>
    public int EnrollmentsPerSecondPerAddress { get; set; } = 10;
}

internal sealed class EnrollmentLimitOptionsValidator : IValidateOptions<EnrollmentLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, EnrollmentLimitOptions options) =>
        options.EnrollmentsPerSecondPerAddress is < 0 or > 100_000
            ? ValidateOptionsResult.Fail($"Edge:Limits:EnrollmentsPerSecondPerAddress must be between 0 (no limit) and 100000, not {options.EnrollmentsPerSecondPerAddress.ToString(CultureInfo.InvariantCulture)}")
            : ValidateOptionsResult.Success;
}

internal static class EnrollmentLimit
{
    public const string Policy = "enrollment";

    public static IServiceCollection AddEnrollmentLimit(this IServiceCollection services)
    {
        services.AddValidatedOptions<EnrollmentLimitOptions, EnrollmentLimitOptionsValidator>(EnrollmentLimitOptions.Section);
        return services.AddRateLimiter(limiter => limiter.AddPolicy(Policy, http => RateLimits.PerSecond(
            RateLimits.RemoteAddress(http),
            http.RequestServices.GetRequiredService<IOptions<EnrollmentLimitOptions>>().Value.EnrollmentsPerSecondPerAddress)));
    }
}
