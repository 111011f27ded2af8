using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Custody;

public static class CustodyRegistration
{
    public static IServiceCollection AddCustody(this IServiceCollection services)
    {
        services.AddSingletonServing<CustodyStore>(typeof(ICustodyLog));
        services.AddSingleton<ICustodyDesk, CustodyDesk>();
        return services.AddEndpoints(CustodyEndpoints.Map);
    }
}
