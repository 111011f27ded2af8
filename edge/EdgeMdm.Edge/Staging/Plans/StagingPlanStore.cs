using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Staging;
using EdgeMdm.Edge.Blueprints;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using Microsoft.AspNetCore.DataProtection;

namespace EdgeMdm.Edge.Staging.Plans;

/// <summary>
/// The staging plans the site holds (table <c>staging_plans</c>), from the hub's feed (<c>StagingPlanUpserted</c>,
/// <c>StagingPlanDeleted</c>) or the seed file. Secrets are stored only protected by Data Protection (key ring
/// <c>DATA/keys</c>); <see cref="PlanOfGroup"/> gives the plan with its secrets for the one caller that may hand
/// them out (the device endpoint) and <see cref="List"/> what an operator may see.
/// </summary>
public interface IStagingPlans
{
    /// <summary>The plan the group's blueprint names, secrets included, or null when it names none or the site lacks it.</summary>
    StagingPlan? PlanOfGroup(string group);

    /// <summary>The name of the plan the group's blueprint names, whether or not the site holds it; null for none.</summary>
    string? PlanNameOfGroup(string group);

    /// <summary>Every plan in short (names, hashes, steps): no secret.</summary>
    IReadOnlyList<StagingPlanSummary> List();

    /// <summary>Stores the plan in the caller's unit (the seed's, or the feed's).</summary>
    void Upsert(UnitOfWork unit, StagingPlan plan, long atMs);
}

/// <summary>A plan as an operator may see it: <see cref="Steps"/> in short, never a secret.</summary>
public sealed record StagingPlanSummary(string Name, string ContentHash, IReadOnlyList<string> Steps, DateTimeOffset UpdatedAt);

internal sealed class StagingPlanStore(EdgeStorage storage, IBlueprints blueprints, IDataProtectionProvider protection) : IStagingPlans, IFeedHandler
{
    private readonly IDataProtector _protector = protection.CreateProtector("EdgeMdm.Edge.StagingPlans.v1");

    public IReadOnlyCollection<HubChange.ChangeOneofCase> Kinds { get; } =
        [HubChange.ChangeOneofCase.StagingPlanUpserted, HubChange.ChangeOneofCase.StagingPlanDeleted];

    public string? PlanNameOfGroup(string group) =>
        blueprints.LoadAll().FirstOrDefault(b => string.Equals(b.Group, group, StringComparison.Ordinal))?.StagingPlan;

    public StagingPlan? PlanOfGroup(string group)
    {
        if (PlanNameOfGroup(group) is not { } name)
            return null;
        var rows = storage.Read(db => db.Query<PlanRow>("SELECT plan_protected AS Protected FROM staging_plans WHERE name = ?", name));
        return rows.Count == 0 ? null : StagingPlanJson.DeserializeClear(_protector.Unprotect(rows[0].Protected));
    }

    public IReadOnlyList<StagingPlanSummary> List() =>
        storage.Read(db => db.Query<PlanRow>("SELECT name AS Name, content_hash AS Hash, step_summary AS Steps, updated_at AS UpdatedAt FROM staging_plans ORDER BY name"))
            .Select(r => new StagingPlanSummary(r.Name, r.Hash, r.Steps.Split('\n'), DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt)))
            .ToList();

    public void Upsert(UnitOfWork unit, StagingPlan plan, long atMs)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(plan);
        unit.Db.Execute(
            """
            INSERT INTO staging_plans (name, plan_protected, content_hash, step_summary, updated_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET plan_protected = excluded.plan_protected, content_hash = excluded.content_hash,
                step_summary = excluded.step_summary, updated_at = excluded.updated_at
            """,
            plan.Name, _protector.Protect(StagingPlanJson.SerializeClear(plan)), plan.ContentHash(),
            string.Join('\n', plan.Steps.Select(StagingPlanDiff.Describe)), atMs);
    }

    public bool Apply(UnitOfWork unit, HubChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.ChangeCase == HubChange.ChangeOneofCase.StagingPlanDeleted)
        {
            unit.Db.Execute("DELETE FROM staging_plans WHERE name = ?", change.StagingPlanDeleted.Name);
            return true;
        }

        // The message's name is the key; the JSON's own name cannot move it elsewhere.
        var plan = StagingPlanJson.DeserializeClear(change.StagingPlanUpserted.PlanJson) with { Name = change.StagingPlanUpserted.Name };
        Upsert(unit, plan, change.AtUnixMs);
        return true;
    }

    private sealed class PlanRow
    {
        public string Name { get; set; } = "";
        public string Hash { get; set; } = "";
        public string Steps { get; set; } = "";
        public string Protected { get; set; } = "";
        public long UpdatedAt { get; set; }
    }
}
