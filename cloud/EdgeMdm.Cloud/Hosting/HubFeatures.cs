using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Cloud.Catalog;
using EdgeMdm.Cloud.Enrollment;
using EdgeMdm.Cloud.Fleet;
using EdgeMdm.Cloud.Packages;
using EdgeMdm.Cloud.Rollouts;
using EdgeMdm.Cloud.Sites;
using EdgeMdm.Cloud.SiteUsers;
using EdgeMdm.Cloud.Sync;
using EdgeMdm.Cloud.Telemetry;
using EdgeMdm.Cloud.Tenants;

namespace EdgeMdm.Cloud.Hosting;

/// <summary>The hub's features: adding one is adding its folder and a line here (and its endpoints to <c>Api/HubApi</c>).</summary>
public static class HubFeatures
{
    /// <summary>Every feature's stores and services, over the database <see cref="Storage.HubStorage"/> registered, and the meter they record on.</summary>
    public static IServiceCollection AddHubFeatures(this IServiceCollection services) => services
        .AddHubMetrics()
        .AddTenants()
        .AddSites()
        .AddSync()
        .AddFleet()
        .AddCatalog()
        .AddEnrollment()
        .AddRollouts()
        .AddPackages()
        .AddAccounts()
        .AddSiteUsers();
}
