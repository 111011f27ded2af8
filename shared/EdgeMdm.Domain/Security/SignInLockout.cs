namespace EdgeMdm.Domain.Security;

/// <summary>How many wrong passwords lock an account, and for how long (ASVS 5.0 §6.3.1).</summary>
/// <param name="Failures">Wrong passwords in a row (within <paramref name="Window"/>) that lock the account.</param>
/// <param name="Window">Failures older than this are forgotten: a mistype last week does not count today.</param>
/// <param name="LockedFor">How long a locked account refuses every password, the right one included.</param>
public sealed record SignInLockoutPolicy(int Failures, TimeSpan Window, TimeSpan LockedFor);

/// <summary>An account's recent wrong passwords: how many, since when, and until when it is locked (if it is).</summary>
public sealed record SignInFailures(int Count, DateTimeOffset FirstAt, DateTimeOffset? LockedUntil)
{
    public static SignInFailures None { get; } = new(0, DateTimeOffset.MinValue, null);

    public bool IsLockedAt(DateTimeOffset now) => LockedUntil is { } until && now < until;
}

/// <summary>The lockout rule, pure: what one more wrong password does to an account's failures.</summary>
public static class SignInLockout
{
    public static SignInFailures AfterFailure(SignInFailures current, DateTimeOffset now, SignInLockoutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(policy);
        if (current.IsLockedAt(now))
            return current;
        // A lock that ran out, or failures older than the window, start the count again.
        var fresh = current.LockedUntil is not null || current.Count == 0 || now - current.FirstAt > policy.Window;
        var counted = fresh ? new SignInFailures(1, now, null) : current with { Count = current.Count + 1 };
        return counted.Count >= policy.Failures ? counted with { LockedUntil = now + policy.LockedFor } : counted;
    }
}
