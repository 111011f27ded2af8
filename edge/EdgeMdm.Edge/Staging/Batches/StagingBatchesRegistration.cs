using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Staging.Batches;

public static class StagingBatchesRegistration
{
    /// <summary>Staging batches: their store, the enrollment's batch check, the codes and sheets, and the anonymous agent download.</summary>
    public static IServiceCollection AddStagingBatches(this IServiceCollection services)
    {
        services.AddValidatedOptions<StagingBatchOptions, StagingBatchOptionsValidator>(StagingBatchOptions.Section);
        services.AddSingletonServing<StagingBatchStore>(typeof(IStagingBatches), typeof(IBatchEnrollment));
        services.AddSingleton<EnrollmentCodes>();
        services.AddSingleton<BatchMaker>();
        return services.AddEndpoints(AgentPackageEndpoint.Map);
    }
}
