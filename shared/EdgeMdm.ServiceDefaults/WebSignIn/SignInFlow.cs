using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeMdm.ServiceDefaults.WebSignIn;

/// <summary>How a sign-in went: the principal signed in, a wrong password, or an account locked until a time.</summary>
public sealed record SignInOutcome(ClaimsPrincipal? SignedIn, DateTimeOffset? LockedUntil)
{
    public bool Refused => SignedIn is null && LockedUntil is null;
}

/// <summary>
/// The steps every sign-in form takes, whatever its accounts: refuse a locked account before checking anything, check
/// the password off the request's thread, count a failure toward the lockout, and on success end the session the
/// browser came with and start a new one (a new key). The host checks its own passwords (<c>verify</c>) and draws
/// its own page.
/// </summary>
public static class SignInFlow
{
    /// <param name="lockKey">What the lockout counts failures against: the account as the person typed it (with the caller's address).</param>
    /// <param name="verify">The host's password check: the principal to sign in, or null. It may be slow (PBKDF2).</param>
    public static async Task<SignInOutcome> SignInAsync(HttpContext http, string lockKey, Func<ClaimsPrincipal?> verify)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(verify);
        var attempts = http.RequestServices.GetRequiredService<SignInAttempts>();
        var address = RateLimits.RemoteAddress(http);
        if (attempts.LockedUntil(lockKey, address) is { } locked)
            return new SignInOutcome(null, locked);

        // 600,000 PBKDF2 iterations take a few hundred milliseconds: not on the request's thread.
        var principal = await Task.Run(verify, http.RequestAborted);
        if (principal is null)
            return new SignInOutcome(null, attempts.Failed(lockKey, address));

        attempts.Succeeded(lockKey, address);
        await WebSignInSetup.EndPresentedSessionAsync(http);
        await http.SignInAsync(WebSignInSetup.Scheme, principal, new AuthenticationProperties { IsPersistent = false });
        return new SignInOutcome(principal, null);
    }

    /// <summary>Where to go after signing in: a path on this server only, never another site (an open redirect).</summary>
    public static string LocalOnly(string? returnUrl) =>
        returnUrl is { Length: > 0 and <= 512 } url && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.Contains('\\', StringComparison.Ordinal)
            ? url
            : "/";

    /// <summary>Whole minutes until <paramref name="until"/>, at least one: what a locked page tells the person.</summary>
    public static int MinutesUntil(DateTimeOffset until, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return Math.Max(1, (int)Math.Ceiling((until - clock.GetUtcNow()).TotalMinutes));
    }
}
