using EdgeMdm.Edge.Alerts;
using EdgeMdm.Edge.Approvals;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.Batteries;
using EdgeMdm.Edge.Blueprints;
using EdgeMdm.Edge.Checkin;
using EdgeMdm.Edge.Commands;
using EdgeMdm.Edge.Cradles;
using EdgeMdm.Edge.Custody;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Discovery;
using EdgeMdm.Edge.Enrollment;
using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.Rollouts;
using EdgeMdm.Edge.Seed;
using EdgeMdm.Edge.SiteTls;
using EdgeMdm.Edge.Staging.Batches;
using EdgeMdm.Edge.Site;
using EdgeMdm.Edge.Spares;
using EdgeMdm.Edge.SiteUsers;
using EdgeMdm.Edge.Staging;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Supervisor;
using EdgeMdm.Edge.Sync;
using EdgeMdm.Edge.Wakes;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EdgeMdm.Edge.Hosting;

/// <summary>
/// Every feature of the appliance, on the storage plumbing. The serving host and the operator commands build the
/// same container, so a command sees the data directory exactly as the service does; only the host starts the
/// hosted services and maps the endpoints. A feature is a folder and one line here.
/// </summary>
public static class EdgeServices
{
    public static IServiceCollection AddEdgeFeatures(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddEdgeOptions();
        services.AddEdgeStorage();
        services.AddSiteTls();
        // The seed is applied before any other hosted service starts, and before Kestrel listens.
        services.AddSeed();
        services.AddSite();
        services.AddSiteUsers();
        services.AddWakes();
        services.AddDevices();
        services.AddBlueprints();
        services.AddPackages();
        services.AddRollouts();
        services.AddCheckin();
        services.AddCommands();
        services.AddApprovals();
        services.AddStaging();
        services.AddEnrollment();
        services.AddStagingBatches();
        services.AddAlerts();
        services.AddAudit();
        services.AddCustody();
        services.AddCradles();
        services.AddSpares();
        services.AddBatteries();
        services.AddSupervisor();
        services.AddSync();
        services.AddMqtt(configuration);
        services.AddDiscovery();
        return services;
    }
}
