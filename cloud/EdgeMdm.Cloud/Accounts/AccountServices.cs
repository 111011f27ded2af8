namespace EdgeMdm.Cloud.Accounts;

public static class AccountServices
{
    public static IServiceCollection AddAccounts(this IServiceCollection services) => services
        .AddSingleton<IAccountStore, SqlAccountStore>()
        .AddSingleton<IAdminTokens, SqlAdminTokens>();

    /// <summary>
    /// At the hub's start: API tokens from before tokens expired (migration 0014) get <see cref="HubGrant.DefaultTokenLifetime"/>
    /// from now, with a warning saying how many, so no token is valid forever.
    /// </summary>
    public static async Task StartAccountsAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var bounded = await services.GetRequiredService<IAdminTokens>().BoundUnexpiringTokensAsync(HubGrant.DefaultTokenLifetime, cancellationToken);
        if (bounded > 0)
            AccountLog.UnexpiringTokensBounded(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AccountServices).FullName!), bounded, HubGrant.DefaultTokenLifetime.Days);
    }

    /// <summary>The limits on signing in over HTTP (<see cref="SignInLimits"/>): the host's, not the stores'.</summary>
    internal static IServiceCollection AddSignInLimits(this IServiceCollection services)
    {
        return services.AddRateLimiter(limiter => limiter.AddPolicy(SignInLimits.AddressPolicy, SignInLimits.AddressPartition));
    }
}
