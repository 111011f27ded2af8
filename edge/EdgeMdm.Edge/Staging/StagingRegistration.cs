using EdgeMdm.Edge.Checkin;
using EdgeMdm.Edge.Staging.Plans;
using EdgeMdm.Edge.Staging.Progress;
using EdgeMdm.Edge.Sync;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Staging;

public static class StagingRegistration
{
    public static IServiceCollection AddStaging(this IServiceCollection services)
    {
        services.AddSingletonServing<StagingPlanStore>(typeof(IStagingPlans), typeof(IFeedHandler));
        services.AddSingletonServing<StagingProgressStore>(typeof(IStagingGate), typeof(IStagingProgressQueries));
        return services.AddEndpoints(StagingPlanEndpoints.Map);
    }
}
