using System.Threading.RateLimiting;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Accounts;

/// <summary>
/// The limits on <c>POST /api/v1/login</c>, on ASP.NET Core's rate limiter: per client address (against one client
/// trying many accounts, and keeping the CPU busy with 600,000-iteration hashes) and per account (tenant and user
/// name; against guessing one password from many addresses). Both are token buckets of <em>attempts</em>, right or
/// wrong, taken before any hash is computed: a burst of <see cref="AttemptsPerAccount"/> / <see cref="AttemptsPerAddress"/>,
/// then one more every <see cref="AccountRefill"/> / <see cref="AddressRefill"/>. That is the sustained rate the old
/// failure counts allowed (10 and 50 per 15 minutes), without their 15-minute lockout: a person who mistyped waits a
/// minute and a half, not a quarter of an hour. A refusal is the shared rejection answer: 429, <c>Retry-After</c>, a
/// problem body. Held in the memory of one hub process: behind a load balancer each replica counts on its own.
/// </summary>
/// <remarks>
/// The address limit is a rate limiter policy on the endpoint, so the middleware refuses before the body is read. The
/// account is in the body, and a policy's partition key is chosen synchronously, before the body may have arrived:
/// reading it there would block a thread on a slow client. So the handler takes the account's permit itself, after
/// reading the body (at most <see cref="MaxBodyBytes"/>, Kestrel's limit for this endpoint) and before hashing.
/// </remarks>
internal sealed class SignInLimits(IOptions<RateLimiterOptions> limiter) : IDisposable
{
    public const string AddressPolicy = "sign-in-address";

    public const int AttemptsPerAccount = 10;

    public static readonly TimeSpan AccountRefill = TimeSpan.FromSeconds(90);

    public const int AttemptsPerAddress = 50;

    public static readonly TimeSpan AddressRefill = TimeSpan.FromSeconds(18);

    /// <summary>
    /// Largest sign-in body: the longest valid user, password and tenant, every character escaped (<c>\uXXXX</c>),
    /// fit in it with room to spare; anything bigger is no sign-in, and is answered 413 before it is buffered.
    /// </summary>
    public const long MaxBodyBytes = 4096;

    private readonly PartitionedRateLimiter<string> _accounts =
        PartitionedRateLimiter.Create<string, string>(account => Bucket(account, AttemptsPerAccount, AccountRefill));

    /// <summary>The address policy's partition: the caller's address.</summary>
    public static RateLimitPartition<string> AddressPartition(HttpContext http) =>
        Bucket(RateLimits.RemoteAddress(http), AttemptsPerAddress, AddressRefill);

    /// <summary>
    /// Takes one attempt of the account; when none is left, answers the request with the rate limiter's rejection (as
    /// the middleware would) and returns false.
    /// </summary>
    public async ValueTask<bool> TryAttemptAsync(HttpContext http, string tenant, string user)
    {
        using var lease = _accounts.AttemptAcquire(tenant + "\n" + user);
        if (lease.IsAcquired)
            return true;
        var options = limiter.Value;
        http.Response.StatusCode = options.RejectionStatusCode;
        if (options.OnRejected is { } onRejected)
            await onRejected(new OnRejectedContext { HttpContext = http, Lease = lease }, http.RequestAborted);
        return false;
    }

    public void Dispose() => _accounts.Dispose();

    private static RateLimitPartition<string> Bucket(string key, int burst, TimeSpan refill) =>
        RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = refill,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}
