using EdgeMdm.Cloud.Audit;
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
        .AddSiteUsers()
        .AddStaging()
        .AddCustody()
        .AddAudit();
}
