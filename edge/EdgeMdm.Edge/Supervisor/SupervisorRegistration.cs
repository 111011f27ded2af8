using EdgeMdm.ServiceDefaults;
using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Edge.Supervisor;

public static class SupervisorRegistration
{
    /// <summary>The configuration section of the page's session rules (<see cref="WebSessionOptions"/>).</summary>
    public const string Section = "Edge:Web";

    /// <summary>The supervisor's web page at the appliance's root: sign-in, sessions, the overview, live updates.</summary>
    public static IServiceCollection AddSupervisor(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddWebSignIn<WebSessionStore, SupervisorUserCheck>(Section);
        services.AddSupervisorPolicies();
        services.AddSingleton<BreakGlassAdmin>();
        services.AddHostedService(sp => sp.GetRequiredService<BreakGlassAdmin>());
        services.AddSingleton<OverviewReader>();
        services.AddSingleton<ComplianceHistory>();
        services.AddHostedService(sp => sp.GetRequiredService<ComplianceHistory>());
        services.AddEndpoints(SignInEndpoints.Map);
        services.AddEndpoints(DevicePages.Map);
        services.AddEndpoints(FloorPages.Map);
        services.AddEndpoints(ApprovalPages.Map);
        services.AddEndpoints(StagingPages.Map);
        return services.AddEndpoints(OverviewEndpoints.Map);
    }
}
