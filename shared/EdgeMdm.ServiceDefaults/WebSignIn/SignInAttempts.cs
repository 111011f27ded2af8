using System.Collections.Concurrent;
using EdgeMdm.Domain.Security;
using Microsoft.Extensions.Options;

namespace EdgeMdm.ServiceDefaults.WebSignIn;

/// <summary>
/// Wrong passwords per account and address, per account and per address, for the sign-in delay
/// (<see cref="SignInLockout"/>): shared by a server's sign-in page and, on the hub, <c>POST /api/v1/login</c>, so
/// guesses through either count for both. Kept in the server's memory: a restart forgets them, which only an
/// administrator of the machine can cause. Names that do not exist are counted too, so a delayed answer does not tell
/// which names exist.
/// </summary>
public sealed class SignInAttempts(TimeProvider clock, IOptions<WebSessionOptions> options)
{
    /// <summary>Beyond this many keys tracked, the forgotten ones are dropped, then the ones that delay nobody now.</summary>
    private const int MaxTracked = 30_000;

    private readonly ConcurrentDictionary<string, SignInFailures> _failures = new(StringComparer.Ordinal);

    /// <summary>Until when an attempt for <paramref name="account"/> from <paramref name="address"/> must wait; null when it may be checked.</summary>
    public DateTimeOffset? LockedUntil(string account, string address) =>
        SignInLockout.LockedUntil(History(account, address), clock.GetUtcNow(), options.Value.Lockout);

    /// <summary>Counts one wrong password; returns until when the next attempt must now wait (null when it need not).</summary>
    public DateTimeOffset? Failed(string account, string address)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(address);
        var now = clock.GetUtcNow();
        var policy = options.Value.Lockout;
        if (_failures.Count >= MaxTracked)
            Forget(now, policy);
        foreach (var key in Keys(account, address))
            _failures.AddOrUpdate(key, (_, at) => SignInLockout.AfterFailure(SignInFailures.None, at, policy), (_, current, at) => SignInLockout.AfterFailure(current, at, policy), now);
        return SignInLockout.LockedUntil(History(account, address), now, policy);
    }

    /// <summary>
    /// The right password: that address's failures for the account are forgotten. The account's own count stays, so an
    /// attack in progress on it does not end because its owner signed in.
    /// </summary>
    public void Succeeded(string account, string address) => _failures.TryRemove(AccountFromAddressKey(account, address), out _);

    private SignInHistory History(string account, string address)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(address);
        return new SignInHistory(Of(AccountFromAddressKey(account, address)), Of(AccountKey(account)), Of(AddressKey(address)));
    }

    private SignInFailures Of(string key) => _failures.TryGetValue(key, out var failures) ? failures : SignInFailures.None;

    private void Forget(DateTimeOffset now, SignInLockoutPolicy policy)
    {
        foreach (var (key, failures) in _failures)
        {
            if (SignInLockout.IsForgotten(failures, now, policy))
                _failures.TryRemove(key, out _);
        }

        // A flood of made-up names within the window: keep what delays someone now, drop the rest.
        if (_failures.Count < MaxTracked)
            return;
        foreach (var (key, failures) in _failures)
        {
            if (failures.LastAt + SignInLockout.Delay(failures.Count, 1, policy) <= now)
                _failures.TryRemove(key, out _);
        }
    }

    private static IEnumerable<string> Keys(string account, string address) =>
        [AccountFromAddressKey(account, address), AccountKey(account), AddressKey(address)];

    private static string AccountKey(string account) => "account\n" + Normal(account);

    private static string AddressKey(string address) => "address\n" + address;

    private static string AccountFromAddressKey(string account, string address) => "pair\n" + Normal(account) + "\n" + address;

    private static string Normal(string account) => account.Trim().ToUpperInvariant();
}
