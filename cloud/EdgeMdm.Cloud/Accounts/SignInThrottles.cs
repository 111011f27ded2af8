using EdgeMdm.Domain.Security;

namespace EdgeMdm.Cloud.Accounts;

/// <summary>
/// The limits on <c>POST /api/v1/login</c>: per account (tenant and user name; against guessing one password) and
/// per client address (against one client trying many accounts, and against keeping the CPU busy with password
/// hashes). Held in the memory of one hub process: behind a load balancer each replica counts on its own.
/// </summary>
internal sealed class SignInThrottles
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    public const int MaxFailuresPerAccount = 10;

    public const int MaxFailuresPerAddress = 50;

    public SignInThrottle Accounts { get; } = new(MaxFailuresPerAccount, Window);

    public SignInThrottle Addresses { get; } = new(MaxFailuresPerAddress, Window);

    /// <summary>The longer wait of the two keys; null when both may try.</summary>
    public TimeSpan? RetryAfter(string accountKey, string addressKey, DateTimeOffset now)
    {
        var account = Accounts.RetryAfter(accountKey, now);
        var address = Addresses.RetryAfter(addressKey, now);
        return account is null ? address : address is null ? account : TimeSpan.FromTicks(Math.Max(account.Value.Ticks, address.Value.Ticks));
    }

    public void RecordFailure(string accountKey, string addressKey, DateTimeOffset now)
    {
        Accounts.RecordFailure(accountKey, now);
        Addresses.RecordFailure(addressKey, now);
    }
}
