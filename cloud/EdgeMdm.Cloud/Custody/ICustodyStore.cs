using EdgeMdm.Domain.Custody;

namespace EdgeMdm.Cloud.Custody;

/// <summary>
/// The chains of custody sites sent (SiteChange <c>CustodyRecorded</c>), stored as they came, once each, by the upstream
/// (<see cref="CustodyRecords"/>); read and verified here. Verification runs over what the hub stores, in the order it
/// received each chain, against the heads it keeps apart.
/// </summary>
public interface ICustodyStore
{
    /// <summary>
    /// The events at the tenant's site, of one subject (a device id or serial, or a battery serial; null: all) in
    /// [<paramref name="since"/>, <paramref name="until"/>), by time; null for an unknown site.
    /// </summary>
    Task<IReadOnlyList<CustodyEventView>?> EventsAsync(
        string tenantId, string siteId, string? subject, DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken = default);

    /// <summary>Verifies every chain at the tenant's site (or the subject's); null for an unknown site.</summary>
    Task<CustodyVerificationView?> VerifyAsync(string tenantId, string siteId, string? subject, CancellationToken cancellationToken = default);
}

/// <summary>One custody event as the hub stores it, with the site it came from.</summary>
public sealed record CustodyEventView(
    string SiteId,
    string Subject,
    string SubjectKind,
    long Index,
    DateTimeOffset At,
    string From,
    string To,
    string Actor,
    string Place,
    string Note,
    string ErasureMethod,
    string ErasureCertificate,
    string PreviousHash,
    string Hash)
{
    public CustodyEvent ToEvent() => new(
        Subject, string.Equals(SubjectKind, "battery", StringComparison.Ordinal) ? CustodySubjectKind.Battery : CustodySubjectKind.Device,
        Index, At, From, To, Actor, Place, Note, ErasureMethod, ErasureCertificate, PreviousHash, Hash);
}

/// <summary>A problem verification found: the subject, the event's index, its kind (edited, removed, reordered) and how it shows.</summary>
public sealed record CustodyProblemView(string Subject, long Index, string Kind, string Detail);

/// <summary>The verdict over a site's chains as the hub stores them.</summary>
public sealed record CustodyVerificationView(string SiteId, int Chains, int Events, bool AllVerify, IReadOnlyList<CustodyProblemView> Problems);
