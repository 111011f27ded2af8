namespace EdgeMdm.Domain.Security;

/// <summary>
/// How wrong passwords slow down further attempts (ASVS 5.0 §6.3.1), with an exponential delay rather than a fixed lock
/// an attacker could keep renewing against a real user.
/// </summary>
/// <param name="FreeFailures">
/// Wrong passwords for one account from one address before the first delay; the one that reaches it starts a delay.
/// </param>
/// <param name="FirstDelay">The first delay; each further wrong password after it doubles it.</param>
/// <param name="MaxDelay">The longest delay. Failures are forgotten after this long without a new one.</param>
public sealed record SignInLockoutPolicy(int FreeFailures, TimeSpan FirstDelay, TimeSpan MaxDelay)
{
    /// <summary>
    /// Wrong passwords from one address, over every account, before that address is delayed: more than for one
    /// account, because one address may be a whole office behind a router.
    /// </summary>
    public int FreeAddressFailures => FreeFailures * 4;
}

/// <summary>Wrong passwords counted against one key (an account, an address, or both), and when the last one was.</summary>
public sealed record SignInFailures(int Count, DateTimeOffset LastAt)
{
    public static SignInFailures None { get; } = new(0, DateTimeOffset.MinValue);
}

/// <summary>
/// What one attempt's history looks like: wrong passwords for the account from this address, for the account from
/// every address, and from this address for every account.
/// </summary>
public sealed record SignInHistory(SignInFailures AccountFromAddress, SignInFailures Account, SignInFailures Address);

/// <summary>
/// The sign-in delay rule, pure. A delay applies to an account <em>from an address</em> and to an address, never to an
/// account from everywhere: an attacker guessing from elsewhere cannot keep a real user out. What the attack does to the
/// account is take away every address's free failures: once the account has had <see cref="SignInLockoutPolicy.FreeFailures"/>
/// wrong passwords from other addresses, a wrong password from an address delays that address at once. So the real user, from
/// an address of their own, waits at most for their own mistakes (after <c>k</c> of them, <c>FirstDelay × 2^(k-1)</c>),
/// while every address the attacker uses is held after one guess.
/// </summary>
public static class SignInLockout
{
    // 2^20 × a second is twelve days: past any MaxDelay the options allow, and far from overflowing.
    private const int MaxDoublings = 20;

    /// <summary>One more wrong password on <paramref name="current"/> at <paramref name="now"/>; forgotten ones start over.</summary>
    public static SignInFailures AfterFailure(SignInFailures current, DateTimeOffset now, SignInLockoutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(policy);
        return IsForgotten(current, now, policy) ? new SignInFailures(1, now) : new SignInFailures(current.Count + 1, now);
    }

    /// <summary>True when <paramref name="failures"/> are old enough to be dropped: quiet for a whole <see cref="SignInLockoutPolicy.MaxDelay"/> after their delay ended.</summary>
    public static bool IsForgotten(SignInFailures failures, DateTimeOffset now, SignInLockoutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(failures);
        ArgumentNullException.ThrowIfNull(policy);
        return failures.Count == 0 || now - failures.LastAt > policy.MaxDelay + policy.MaxDelay;
    }

    /// <summary>Until when an attempt with this <paramref name="history"/> must wait; null when it may be checked now.</summary>
    public static DateTimeOffset? LockedUntil(SignInHistory history, DateTimeOffset now, SignInLockoutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(policy);
        // Wrong passwords for the account from other addresses: an address's own guesses do not count twice against it.
        var fromElsewhere = Live(history.Account, now, policy) - Live(history.AccountFromAddress, now, policy);
        var underAttack = fromElsewhere >= policy.FreeFailures;
        var accountFromAddress = Until(history.AccountFromAddress, underAttack ? 1 : policy.FreeFailures, now, policy);
        var address = Until(history.Address, policy.FreeAddressFailures, now, policy);
        var until = Later(accountFromAddress, address);
        return until > now ? until : null;
    }

    /// <summary>The delay after <paramref name="failures"/> wrong passwords where <paramref name="free"/> cost none: zero below it, then doubling from the first delay up to the longest.</summary>
    public static TimeSpan Delay(int failures, int free, SignInLockoutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (failures < free)
            return TimeSpan.Zero;
        var doublings = Math.Min(failures - free, MaxDoublings);
        var delay = policy.FirstDelay * (1L << doublings);
        return delay < policy.MaxDelay ? delay : policy.MaxDelay;
    }

    private static DateTimeOffset? Until(SignInFailures failures, int free, DateTimeOffset now, SignInLockoutPolicy policy) =>
        IsForgotten(failures, now, policy) || failures.Count < free ? null : failures.LastAt + Delay(failures.Count, free, policy);

    private static int Live(SignInFailures failures, DateTimeOffset now, SignInLockoutPolicy policy) =>
        IsForgotten(failures, now, policy) ? 0 : failures.Count;

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null || a >= b ? a : b;
}
