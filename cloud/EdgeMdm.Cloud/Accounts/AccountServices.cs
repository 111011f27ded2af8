namespace EdgeMdm.Cloud.Accounts;

public static class AccountServices
{
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddSingleton<IAccountStore, SqlAccountStore>();
        services.AddSingleton<IAdminTokens, SqlAdminTokens>();
        services.AddSingleton<SignInThrottles>();
        return services;
    }
}
