using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.GitOps;

/// <summary>What a blueprints (or seed) file holds: the blueprints and the staging plans they name.</summary>
public sealed record BlueprintsFile(IReadOnlyList<Blueprint> Blueprints, IReadOnlyList<StagingPlan> StagingPlans);
