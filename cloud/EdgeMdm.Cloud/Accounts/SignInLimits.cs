using System.Threading.RateLimiting;
using EdgeMdm.ServiceDefaults;
using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Cloud.Accounts;

/// <summary>
/// The limits on <c>POST /api/v1/login</c>. Per client address, a token bucket of <em>attempts</em>, right or wrong,
/// on ASP.NET Core's rate limiter (against one client trying many accounts, and keeping the CPU busy with
/// 600,000-iteration hashes): a burst of <see cref="AttemptsPerAddress"/>, then one more every <see cref="AddressRefill"/>;
/// the middleware refuses before the body is read. Per account, the sign-in delay the console's sign-in page uses too
/// (<see cref="SignInAttempts"/>, <c>Cloud:Web:Lockout*</c>): wrong passwords for an account from an address make that
/// address wait, doubling with each one, and once an account has had several from anywhere, every address that guesses
/// wrong waits at once. Never a wait for the whole account: an attacker guessing from elsewhere does not keep its owner
/// out. A refusal is the shared rejection answer: 429, <c>Retry-After</c>, a problem body. Held in the memory of one
/// hub process: behind a load balancer each replica counts on its own.
/// </summary>
internal static class SignInLimits
{
    public const string AddressPolicy = "sign-in-address";

    public const int AttemptsPerAddress = 50;

    public static readonly TimeSpan AddressRefill = TimeSpan.FromSeconds(18);

    /// <summary>
    /// Largest sign-in body: the longest valid user, password and tenant, every character escaped (<c>\uXXXX</c>),
    /// fit in it with room to spare; anything bigger is no sign-in, and is answered 413 before it is buffered.
    /// </summary>
    public const long MaxBodyBytes = 4096;

    /// <summary>The address policy's partition: the caller's address.</summary>
    public static RateLimitPartition<string> AddressPartition(HttpContext http) =>
        RateLimitPartition.GetTokenBucketLimiter(RateLimits.RemoteAddress(http), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = AttemptsPerAddress,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = AddressRefill,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}

/// <summary>What the sign-in delay counts a hub account's wrong passwords against, through the API and the console alike.</summary>
public static class SignInAccounts
{
    /// <summary><c>tenant:user</c>, the account as it was typed.</summary>
    public static string Key(string tenant, string user) => tenant + ":" + user;
}
