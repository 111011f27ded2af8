using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Staging;
using Microsoft.AspNetCore.DataProtection;

namespace EdgeMdm.Cloud.Staging;

/// <summary>
/// The one place the hub turns a plan's clear JSON into its protected form and back (ASP.NET Core Data
/// Protection, the hub's key ring: <c>Hosting/HubDefaults</c>, <see cref="Options.HubOptions.KeysDirectoryFor"/>).
/// The stored plan and the feed row both hold only the protected form; the clear form exists in memory and in
/// the gRPC message to a site.
/// </summary>
public sealed class StagingPlanProtection(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("EdgeMdm.Cloud.StagingPlans.v1");

    public string Protect(StagingPlan plan) => _protector.Protect(StagingPlanJson.SerializeClear(plan));

    public StagingPlan Unprotect(string protectedJson) => StagingPlanJson.DeserializeClear(_protector.Unprotect(protectedJson));

    /// <summary>The feed row of an upsert: the plan protected, no clear JSON.</summary>
    public HubChange FeedRow(StagingPlan plan) => new()
    {
        StagingPlanUpserted = new() { Name = plan.Name, PlanHash = plan.ContentHash(), PlanJsonProtected = Protect(plan) },
    };

    /// <summary>
    /// A feed row as it goes to its site: an upsert's protected plan turned into the clear JSON, the protected form
    /// dropped. Any other change is returned as read.
    /// </summary>
    public HubChange ForSite(HubChange row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.ChangeCase != HubChange.ChangeOneofCase.StagingPlanUpserted || row.StagingPlanUpserted.PlanJsonProtected.Length == 0)
            return row;
        var sent = row.Clone();
        sent.StagingPlanUpserted.PlanJson = _protector.Unprotect(row.StagingPlanUpserted.PlanJsonProtected);
        sent.StagingPlanUpserted.PlanJsonProtected = "";
        return sent;
    }
}
