using EdgeMdm.Domain.Custody;

namespace EdgeMdm.Cli.Custody;

/// <summary>A custody event as <c>GET /api/v1/sites/{id}/custody</c> answers it.</summary>
public sealed record HubCustodyEvent(
    string? SiteId, string? Subject, string? SubjectKind, long Index, DateTimeOffset At, string? From, string? To, string? Actor,
    string? Place, string? Note, string? ErasureMethod, string? ErasureCertificate, string? PreviousHash, string? Hash)
{
    public CustodyEvent ToEvent() => new(
        Subject ?? "", string.Equals(SubjectKind, "battery", StringComparison.Ordinal) ? CustodySubjectKind.Battery : CustodySubjectKind.Device,
        Index, At, From ?? "", To ?? "", Actor ?? "", Place ?? "", Note ?? "", ErasureMethod ?? "", ErasureCertificate ?? "", PreviousHash ?? "", Hash ?? "");
}

/// <summary>One problem verification found at the hub.</summary>
public sealed record HubCustodyProblem(string? Subject, long Index, string? Kind, string? Detail);

/// <summary>The hub's verdict over a site's chains (<c>GET /api/v1/sites/{id}/custody/verify</c>).</summary>
public sealed record HubCustodyVerification(string? SiteId, int Chains, int Events, bool AllVerify, IReadOnlyList<HubCustodyProblem>? Problems);

/// <summary>What <c>custody verify --json</c> prints: each site's verdict, and the totals.</summary>
public sealed record CustodyVerifyRow(int Chains, int Events, bool AllVerify, IReadOnlyList<HubCustodyVerification> Sites);
