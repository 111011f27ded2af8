namespace EdgeMdm.Cloud.Staging;

/// <summary>The staging steps sites reported (SiteChange <c>StagingStepReported</c>), recorded once each by the upstream.</summary>
public interface IStagingProgressStore
{
    /// <summary>Each device's latest state per step at the tenant's site, by device then step order of first report; null for an unknown site.</summary>
    Task<IReadOnlyList<StagingStepRecord>?> SiteProgressAsync(string tenantId, string siteId, CancellationToken cancellationToken = default);
}

public sealed record StagingStepRecord(
    string DeviceId,
    string Plan,
    string PlanHash,
    string StepId,
    string Kind,
    string State,
    int Attempts,
    string? Error,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset ReportedAt);
