namespace EdgeMdm.Cloud.Accounts;

public static class AccountServices
{
    public static IServiceCollection AddAccounts(this IServiceCollection services) => services
        .AddSingleton<IAccountStore, SqlAccountStore>()
        .AddSingleton<IAdminTokens, SqlAdminTokens>();

    /// <summary>The limits on signing in over HTTP (<see cref="SignInLimits"/>): the host's, not the stores'.</summary>
    internal static IServiceCollection AddSignInLimits(this IServiceCollection services)
    {
        return services.AddRateLimiter(limiter => limiter.AddPolicy(SignInLimits.AddressPolicy, SignInLimits.AddressPartition));
    }
}
