using System.Globalization;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Audit;

namespace EdgeMdm.Edge.Audit;

/// <summary>
/// What the trail says of a change the hub's feed applied at the site: the hub made it, the feed brought it. Names
/// subjects only: a token by its prefix, a user without the password hash, a plan without its secrets.
/// </summary>
public static class HubChangeAudit
{
    /// <summary>Where a change from the hub's feed came from.</summary>
    public const string FeedSource = "feed";

    public static AuditEntry EntryFor(HubChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var position = "feed position " + change.Position.ToString(CultureInfo.InvariantCulture);
        return change.ChangeCase switch
        {
            HubChange.ChangeOneofCase.BlueprintUpserted => Hub(AuditActions.BlueprintApplied, change.BlueprintUpserted.Group, position),
            HubChange.ChangeOneofCase.BlueprintDeleted => Hub(AuditActions.BlueprintDeleted, change.BlueprintDeleted.Group, position),
            HubChange.ChangeOneofCase.TokenIssued => Hub(AuditActions.TokenIssued, change.TokenIssued.TokenPrefix,
                $"group {change.TokenIssued.Group}, {change.TokenIssued.Uses.ToString(CultureInfo.InvariantCulture)} uses; {position}"),
            HubChange.ChangeOneofCase.TokenRevoked => Hub(AuditActions.TokenRevoked, change.TokenRevoked.TokenHash[..Math.Min(12, change.TokenRevoked.TokenHash.Length)], position),
            HubChange.ChangeOneofCase.CommandQueued => Hub(AuditActions.CommandQueued, change.CommandQueued.DeviceId,
                $"{change.CommandQueued.Type} {change.CommandQueued.CommandId} by {change.CommandQueued.CreatedBy}; {position}"),
            HubChange.ChangeOneofCase.SiteRenamed => Hub("site.renamed", change.SiteRenamed.SiteId, $"name {change.SiteRenamed.Name}; {position}"),
            HubChange.ChangeOneofCase.SiteUserUpserted => Hub(AuditActions.UserChanged, change.SiteUserUpserted.UserName, $"role {change.SiteUserUpserted.Role}; {position}"),
            HubChange.ChangeOneofCase.SiteUserRemoved => Hub(AuditActions.UserRemoved, change.SiteUserRemoved.UserName, position),
            HubChange.ChangeOneofCase.PackagePublished => Hub(AuditActions.Package, change.PackagePublished.PackageName,
                $"version {change.PackagePublished.VersionCode.ToString(CultureInfo.InvariantCulture)}, sha256 {change.PackagePublished.Sha256}; {position}"),
            HubChange.ChangeOneofCase.SigningKey => Hub("signing-key.changed", change.SigningKey.KeyId, position),
            HubChange.ChangeOneofCase.StagingPlanUpserted => Hub("staging-plan.applied", change.StagingPlanUpserted.Name, $"hash {change.StagingPlanUpserted.PlanHash}; {position}"),
            HubChange.ChangeOneofCase.StagingPlanDeleted => Hub("staging-plan.deleted", change.StagingPlanDeleted.Name, position),
            _ => Hub("feed." + change.ChangeCase.ToString(), "", position),
        };
    }

    private static AuditEntry Hub(string action, string subject, string detail) => new("hub", action, subject, FeedSource, detail);
}
