using System.Globalization;
using EdgeMdm.Domain.Security;
using Microsoft.Extensions.Options;

namespace EdgeMdm.ServiceDefaults.WebSignIn;

/// <summary>
/// The rules of a person's session on a server's web pages (the appliance's <c>Edge:Web</c>, the hub's
/// <c>Cloud:Web</c>): ASVS 5.0 §7.3's idle and absolute timeouts, and §6.3's lockout.
/// </summary>
public sealed class WebSessionOptions
{
    /// <summary>Signed out after this long without a request of their own (a live page's updates do not count).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Signed out this long after signing in, however active.</summary>
    public TimeSpan AbsoluteTimeout { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Wrong passwords in a row that lock an account.</summary>
    public int LockoutFailures { get; set; } = 5;

    /// <summary>How long a locked account refuses every password; also how long failures are remembered.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    public SignInLockoutPolicy Lockout => new(LockoutFailures, LockoutDuration, LockoutDuration);

    /// <summary>The checks of <paramref name="section"/> (its configuration name, for the messages).</summary>
    public static ValidateOptionsResult Validate(string section, WebSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.IdleTimeout < TimeSpan.FromSeconds(10) || options.IdleTimeout > TimeSpan.FromHours(1))
            failures.Add($"{section}:IdleTimeout must be between 00:00:10 and 01:00:00, not {options.IdleTimeout.ToString("c", CultureInfo.InvariantCulture)}");
        if (options.AbsoluteTimeout < options.IdleTimeout || options.AbsoluteTimeout > TimeSpan.FromHours(24))
            failures.Add($"{section}:AbsoluteTimeout must be at least the idle timeout and at most 24:00:00, not {options.AbsoluteTimeout.ToString("c", CultureInfo.InvariantCulture)}");
        if (options.LockoutFailures is < 3 or > 100)
            failures.Add($"{section}:LockoutFailures must be between 3 and 100, not {options.LockoutFailures.ToString(CultureInfo.InvariantCulture)}");
        if (options.LockoutDuration < TimeSpan.FromSeconds(10) || options.LockoutDuration > TimeSpan.FromDays(1))
            failures.Add($"{section}:LockoutDuration must be between 00:00:10 and 1.00:00:00, not {options.LockoutDuration.ToString("c", CultureInfo.InvariantCulture)}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
