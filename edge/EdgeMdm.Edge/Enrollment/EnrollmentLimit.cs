using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Enrollment;

/// <summary>How often one network address may try to enroll (section <c>Edge:Limits</c>).</summary>
public sealed class EnrollmentLimitOptions
{
    public const string Section = EdgeOptions.Section + ":Limits";

    /// <summary>
    /// Enrollments a second from one address, with twenty seconds' worth at once (a cart of 200 devices staged together
    /// behind one access point that translates their addresses); 0 lifts it. A flood from one address does not get to
    /// take the writer from the floor.
    /// </summary>
    public int EnrollmentsPerSecondPerAddress { get; set; } = 10;
}

internal sealed class EnrollmentLimitOptionsValidator : IValidateOptions<EnrollmentLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, EnrollmentLimitOptions options) =>
        RateLimits.ValidatePerSecond("Edge:Limits:EnrollmentsPerSecondPerAddress", options.EnrollmentsPerSecondPerAddress);
}

internal static class EnrollmentLimit
{
    public const string Policy = "enrollment";

    public static IServiceCollection AddEnrollmentLimit(this IServiceCollection services)
    {
        services.AddValidatedOptions<EnrollmentLimitOptions, EnrollmentLimitOptionsValidator>(EnrollmentLimitOptions.Section);
        return services.AddRateLimiter(limiter => limiter.AddPolicy(Policy, http => RateLimits.PerSecond(
            RateLimits.RemoteAddress(http),
            http.RequestServices.GetRequiredService<IOptions<EnrollmentLimitOptions>>().Value.EnrollmentsPerSecondPerAddress,
            burstSeconds: 20)));
    }
}
