namespace EdgeMdm.Domain.Rollouts;

/// <summary>
/// When a device tries a failed install again from its local cache: after
/// <c>FirstDelay × 2^(failures − 1)</c>, capped at <see cref="MaxDelay"/>, counted from the last failure, until
/// <see cref="MaxAttempts"/> attempts in all have failed. No jitter: devices fail at their own moments, so their
/// retries are spread already, and a fixed schedule lets the agent, the site's report and the tests agree.
/// </summary>
/// <param name="MaxAttempts">Install attempts per version, the first one included; after that the device waits for a new declaration.</param>
public sealed record RetryPolicy(TimeSpan FirstDelay, TimeSpan MaxDelay, int MaxAttempts)
{
    /// <summary>1 min, 2, 4 … capped at 1 h; 8 attempts span a little over 2 hours, a shift's break or a dock cycle.</summary>
    public static RetryPolicy Default { get; } = new(TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), 8);

    /// <summary><see cref="Default"/> with another first delay (the cap rises to it if need be): a simulated fleet that retries in seconds.</summary>
    public static RetryPolicy StartingAfter(TimeSpan firstDelay) =>
        Default with { FirstDelay = firstDelay, MaxDelay = firstDelay > Default.MaxDelay ? firstDelay : Default.MaxDelay };

    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Packages.FieldErrors();
        if (FirstDelay <= TimeSpan.Zero)
            errors.Add("firstDelay", "must be more than 0");
        if (MaxDelay < FirstDelay)
            errors.Add("maxDelay", "must be at least firstDelay");
        if (MaxAttempts < 1)
            errors.Add("maxAttempts", "must be 1 or more");
        return errors.ToDictionary();
    }

    /// <summary>
    /// A device that reported the package incompatible will not accept it on a second try; every other
    /// reason may pass (storage freed, Wi-Fi back, the cache fetched again after a bad signature).
    /// </summary>
    public static bool IsRetryable(InstallFailureReason reason) => reason != InstallFailureReason.Incompatible;

    /// <summary>The wait after the <paramref name="failedAttempts"/>-th failure (1 or more).</summary>
    public TimeSpan DelayAfter(int failedAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        var doublings = failedAttempts - 1;
        // Compared before multiplying so a long outage can never overflow the tick count.
        if (doublings >= 62 || FirstDelay.Ticks > MaxDelay.Ticks >> doublings)
            return MaxDelay;
        return TimeSpan.FromTicks(FirstDelay.Ticks << doublings);
    }

    /// <summary>
    /// When to try again after <paramref name="failedAttempts"/> failures, the last at
    /// <paramref name="lastFailureAt"/>; null when the attempts are used up or the reason is not worth retrying.
    /// </summary>
    public DateTimeOffset? NextAttemptAt(int failedAttempts, DateTimeOffset lastFailureAt, InstallFailureReason reason)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        if (failedAttempts >= MaxAttempts || !IsRetryable(reason))
            return null;
        return lastFailureAt + DelayAfter(failedAttempts);
    }
}
