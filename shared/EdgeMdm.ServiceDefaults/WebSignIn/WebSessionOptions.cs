using System.Globalization;
using EdgeMdm.Domain.Security;
using Microsoft.Extensions.Options;

namespace EdgeMdm.ServiceDefaults.WebSignIn;

/// <summary>
/// The rules of a person's session on a server's web pages (the appliance's <c>Edge:Web</c>, the hub's
/// <c>Cloud:Web</c>): ASVS 5.0 §7.3's idle and absolute timeouts, and §6.3's lockout (an exponential delay, <see cref="SignInLockout"/>).
/// </summary>
public sealed class WebSessionOptions
{
    /// <summary>Signed out after this long without a request of their own (a live page's updates do not count).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Signed out this long after signing in, however active.</summary>
    public TimeSpan AbsoluteTimeout { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// Wrong passwords for an account from one address before that address must wait to try the account again (once
    /// the account has had this many from anywhere, one is enough); an address gets four times as many over all accounts.
    /// </summary>
    public int LockoutFailures { get; set; } = 5;

    /// <summary>The first wait; every further wrong password doubles it, up to <see cref="LockoutDuration"/>.</summary>
    public TimeSpan LockoutFirstDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait after wrong passwords; failures are forgotten after twice this long without one.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    public SignInLockoutPolicy Lockout => new(LockoutFailures, LockoutFirstDelay, LockoutDuration);

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
        if (options.LockoutFirstDelay < TimeSpan.FromSeconds(1) || options.LockoutFirstDelay > options.LockoutDuration)
            failures.Add($"{section}:LockoutFirstDelay must be between 00:00:01 and the lockout duration, not {options.LockoutFirstDelay.ToString("c", CultureInfo.InvariantCulture)}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
