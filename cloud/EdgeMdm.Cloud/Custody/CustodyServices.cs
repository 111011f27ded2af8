namespace EdgeMdm.Cloud.Custody;

public static class CustodyServices
{
    public static IServiceCollection AddCustody(this IServiceCollection services) => services
        .AddSingleton<ICustodyStore, SqlCustodyStore>();
}
