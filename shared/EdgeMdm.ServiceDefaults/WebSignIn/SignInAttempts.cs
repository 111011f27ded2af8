using System.Collections.Concurrent;
using EdgeMdm.Domain.Security;
using Microsoft.Extensions.Options;

namespace EdgeMdm.ServiceDefaults.WebSignIn;

/// <summary>
/// Wrong passwords per account name, for the lockout (<see cref="SignInLockout"/>). Kept in the server's memory: a
/// restart forgets them, which only an administrator of the machine can cause. Names that do not exist are counted
/// too, so a locked answer does not tell which names exist.
/// </summary>
public sealed class SignInAttempts(TimeProvider clock, IOptions<WebSessionOptions> options)
{
    /// <summary>Beyond this many accounts tracked, the ones neither locked nor recent are forgotten first.</summary>
    private const int MaxTracked = 10_000;

    private readonly ConcurrentDictionary<string, SignInFailures> _failures = new(StringComparer.Ordinal);

    /// <summary>Until when <paramref name="userName"/> is locked; null when it may try.</summary>
    public DateTimeOffset? LockedUntil(string userName)
    {
        var now = clock.GetUtcNow();
        return _failures.TryGetValue(Key(userName), out var failures) && failures.IsLockedAt(now) ? failures.LockedUntil : null;
    }

    /// <summary>Counts one wrong password; returns until when the account is now locked (null when it is not).</summary>
    public DateTimeOffset? Failed(string userName)
    {
        var now = clock.GetUtcNow();
        var policy = options.Value.Lockout;
        if (_failures.Count >= MaxTracked)
            Forget(now, policy);
        var after = _failures.AddOrUpdate(
            Key(userName), _ => SignInLockout.AfterFailure(SignInFailures.None, now, policy), (_, current) => SignInLockout.AfterFailure(current, now, policy));
        return after.IsLockedAt(now) ? after.LockedUntil : null;
    }

    public void Succeeded(string userName) => _failures.TryRemove(Key(userName), out _);

    private void Forget(DateTimeOffset now, SignInLockoutPolicy policy)
    {
        foreach (var (name, failures) in _failures)
        {
            if (!failures.IsLockedAt(now) && now - failures.FirstAt > policy.Window)
                _failures.TryRemove(name, out _);
        }

        // A flood of made-up names within the window: keep the locks, drop the counts.
        if (_failures.Count >= MaxTracked)
        {
            foreach (var (name, failures) in _failures)
            {
                if (!failures.IsLockedAt(now))
                    _failures.TryRemove(name, out _);
            }
        }
    }

    private static string Key(string userName) => userName.Trim().ToUpperInvariant();
}
