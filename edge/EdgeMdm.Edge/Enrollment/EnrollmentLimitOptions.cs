using System.Globalization;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Enrollment;

/// <summary>How often one network address may try to enroll (section <c>Edge:Limits</c>), under rate-limiter policy <see cref="Policy"/>.</summary>
public sealed class EnrollmentLimitOptions
{
    public const string Policy = "enrollment";

    /// <summary>
    /// Enrollments a second from one address, with twenty seconds' worth at once (a cart of 200 devices staged together
    /// behind one access point that translates their addresses); 0 lifts it. A flood from one address does not get to
    /// take the writer from the floor.
    /// </summary>
    public int EnrollmentsPerSecondPerAddress { get; set; } = 10;

    /// <summary>
    /// Enrollments refused for their token (unknown, expired, used up) within <see cref="GuessingAlarmWindow"/> that
    /// raise the <c>enrollment.guessing</c> alert.
    /// </summary>
    public int GuessingAlarmRefusals { get; set; } = 20;

    /// <summary>The window <see cref="GuessingAlarmRefusals"/> counts over; a window without one clears the alert.</summary>
    public TimeSpan GuessingAlarmWindow { get; set; } = TimeSpan.FromMinutes(10);

    internal sealed class AlarmValidator : IValidateOptions<EnrollmentLimitOptions>
    {
        public ValidateOptionsResult Validate(string? name, EnrollmentLimitOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            var failures = new List<string>();
            if (options.GuessingAlarmRefusals is < 2 or > 100_000)
                failures.Add($"Edge:Limits:GuessingAlarmRefusals must be between 2 and 100000, not {options.GuessingAlarmRefusals.ToString(CultureInfo.InvariantCulture)}");
            if (options.GuessingAlarmWindow < TimeSpan.FromSeconds(10) || options.GuessingAlarmWindow > TimeSpan.FromDays(1))
                failures.Add($"Edge:Limits:GuessingAlarmWindow must be between 00:00:10 and 1.00:00:00, not {options.GuessingAlarmWindow.ToString("c", CultureInfo.InvariantCulture)}");
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
