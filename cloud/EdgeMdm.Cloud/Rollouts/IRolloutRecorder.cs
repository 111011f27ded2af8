using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Cloud.Rollouts;

/// <summary>Rollouts are started, kept and ended by blueprint upserts (Catalog/), inside their transaction.</summary>
internal interface IRolloutRecorder
{
    /// <summary>
    /// The blueprint to store for <paramref name="incoming"/>, given what the group held before: each app whose
    /// version code changed gets a new rollout (the plan the file named or <see cref="RolloutPlan.Default"/>, an id,
    /// the version it rolls from and the versions waiting devices keep, <see cref="AppRollout.Replacing"/>); an app whose version did not change keeps the rollout it had, with the plan the
    /// file names now. An app new to the group gets none: there is nothing to roll from. Nothing is written here;
    /// <see cref="RecordAsync"/> writes it once the upsert is known to change something.
    /// </summary>
    Blueprint WithRollouts(Blueprint incoming, Blueprint? held);

    /// <summary>
    /// Writes what <see cref="WithRollouts"/> decided: a new rollout supersedes the group's current one of the
    /// package, a kept one takes the plan it has now, and an app the group no longer names ends its rollout.
    /// </summary>
    Task RecordAsync(HubSession session, string tenantId, Blueprint stored, Blueprint? held);

    /// <summary>Ends every current rollout of the group (its blueprint was deleted).</summary>
    Task EndGroupAsync(HubSession session, string tenantId, string group);
}
