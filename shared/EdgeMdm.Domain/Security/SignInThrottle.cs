namespace EdgeMdm.Domain.Security;

/// <summary>
/// Failed sign-ins counted per key (an account, a client address) in fixed windows that start with the first
/// failure: once a key reaches <see cref="MaxFailures"/> in its window, further attempts under it are refused
/// until the window ends, before any password is hashed. That stops password guessing against one account, and
/// stops one client from keeping the hub's CPU busy with 600,000-iteration hashes. Thread-safe; memory is
/// bounded by <see cref="MaxKeys"/>.
/// </summary>
public sealed class SignInThrottle
{
    /// <summary>Keys tracked at once; past it, expired windows are dropped and, if none has expired, new keys go uncounted.</summary>
    public const int MaxKeys = 100_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, FailureWindow> _windows = new(StringComparer.Ordinal);

    public SignInThrottle(int maxFailures, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFailures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        MaxFailures = maxFailures;
        Window = window;
    }

    public int MaxFailures { get; }

    public TimeSpan Window { get; }

    /// <summary>How long <paramref name="key"/> must wait at <paramref name="now"/>; null when it may try.</summary>
    public TimeSpan? RetryAfter(string key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (!_windows.TryGetValue(key, out var window) || window.EndsAt(Window) <= now)
                return null;
            return window.Failures >= MaxFailures ? window.EndsAt(Window) - now : null;
        }
    }

    public void RecordFailure(string key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (_windows.TryGetValue(key, out var window) && window.EndsAt(Window) > now)
            {
                _windows[key] = window with { Failures = window.Failures + 1 };
                return;
            }

            if (_windows.Count >= MaxKeys && window is null)
            {
                DropExpired(now);
                if (_windows.Count >= MaxKeys)
                    return;
            }

            _windows[key] = new FailureWindow(now, 1);
        }
    }

    /// <summary>A successful sign-in forgets the key's failures (the account's, not the address's: a guesser may also know one password).</summary>
    public void Forget(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
            _windows.Remove(key);
    }

    private void DropExpired(DateTimeOffset now)
    {
        foreach (var key in _windows.Where(w => w.Value.EndsAt(Window) <= now).Select(w => w.Key).ToList())
            _windows.Remove(key);
    }

    private sealed record FailureWindow(DateTimeOffset StartedAt, int Failures)
    {
        public DateTimeOffset EndsAt(TimeSpan length) => StartedAt + length;
    }
}
