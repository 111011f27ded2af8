using EdgeMdm.Cloud.Accounts;
using EdgeMdm.Cloud.Catalog;
using EdgeMdm.Cloud.Enrollment;
using EdgeMdm.Cloud.Fleet;
using EdgeMdm.Cloud.Hosting;
using EdgeMdm.Cloud.Packages;
using EdgeMdm.Cloud.Rollouts;
using EdgeMdm.Cloud.SiteUsers;
using EdgeMdm.Cloud.Sites;
using EdgeMdm.Cloud.Sync;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The hub's feature stores over one database as the hub wires them (<see cref="HubFeatures.AddHubFeatures"/>): a
/// running hub's (<see cref="RunningHub.Store"/>) or those <see cref="HubStorage.OpenAsync"/> gave, whose owner
/// disposes them. Each property is the narrow interface the hub's own consumers ask for.
/// </summary>
internal sealed record HubStores(IServiceProvider Services)
{
    public ITenantStore Tenants => Get<ITenantStore>();

    public ISiteRegistry Sites => Get<ISiteRegistry>();

    public IUpstreamStore Upstream => Get<IUpstreamStore>();

    public IFeedStore Feed => Get<IFeedStore>();

    public IStateDigest Digest => Get<IStateDigest>();

    public IFleetReadStore Fleet => Get<IFleetReadStore>();

    public ICommandStore Commands => Get<ICommandStore>();

    public IBlueprintStore Blueprints => Get<IBlueprintStore>();

    public IEnrollmentTokenStore EnrollmentTokens => Get<IEnrollmentTokenStore>();

    public IRolloutStore Rollouts => Get<IRolloutStore>();

    public ISigningKeyStore SigningKeys => Get<ISigningKeyStore>();

    public IPackageStore Packages => Get<IPackageStore>();

    public IAccountStore Accounts => Get<IAccountStore>();

    public IAdminTokens AdminTokens => Get<IAdminTokens>();

    public ISiteUserStore SiteUsers => Get<ISiteUserStore>();

    /// <summary>The database itself, for writing rows no store would write (as an older hub did).</summary>
    public IHubDatabase Database => Get<IHubDatabase>();

    private T Get<T>() where T : notnull => Services.GetRequiredService<T>();
}
