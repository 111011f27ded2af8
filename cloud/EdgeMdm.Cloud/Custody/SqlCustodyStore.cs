using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Custody;

namespace EdgeMdm.Cloud.Custody;

/// <summary>What the upstream calls for a <c>CustodyRecorded</c> change (the fleet projection dispatches it here).</summary>
public static class CustodyRecords
{
    /// <summary>
    /// Stores the event as it came, in the upstream's transaction (the one that moves the site's log past it, so it
    /// counts once), and moves the subject's head forward. An event the hub holds already (a site that numbered its log
    /// again and re-sent it) changes nothing: the first one stays, as received.
    /// </summary>
    internal static async Task RecordAsync(HubSession session, string siteId, SiteChange change)
    {
        var e = change.CustodyRecorded;
        var inserted = await session.ExecuteAsync(
            """
            INSERT INTO custody_events (site_id, subject, subject_kind, idx, at, from_party, to_party, actor, place, note,
                erasure_method, erasure_certificate, previous_hash, hash, sequence)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (site_id, subject, idx) DO NOTHING
            """,
            siteId, e.Subject, e.SubjectKind, (long)e.Index, e.AtUnixMs, e.FromParty, e.ToParty, e.Actor, e.Place, e.Note,
            e.ErasureMethod, e.ErasureCertificate, e.PreviousHash, e.Hash, (long)change.Sequence);
        if (inserted == 0)
            return;
        await session.ExecuteAsync(
            """
            INSERT INTO custody_heads (site_id, subject, idx, hash) VALUES (?, ?, ?, ?)
            ON CONFLICT (site_id, subject) DO UPDATE SET idx = excluded.idx, hash = excluded.hash WHERE excluded.idx > custody_heads.idx
            """,
            siteId, e.Subject, (long)e.Index, e.Hash);
    }
}

internal sealed class SqlCustodyStore(IHubDatabase db) : ICustodyStore
{
    private const string Columns =
        "site_id, subject, subject_kind, idx, at, from_party, to_party, actor, place, note, erasure_method, erasure_certificate, previous_hash, hash";

    public async Task<IReadOnlyList<CustodyEventView>?> EventsAsync(
        string tenantId, string siteId, string? subject, DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        if (!await SiteOfTenantAsync(s, tenantId, siteId))
            return null;
        var chosen = subject is null ? null : await SubjectOfAsync(s, siteId, subject);
        var rows = await s.QueryAsync(
            $"""
             SELECT {Columns} FROM custody_events
             WHERE site_id = ? AND (? = '' OR subject = ?) AND at >= ? AND at < ?
             ORDER BY at, subject, idx
             """,
            siteId, chosen ?? "", chosen ?? "", since?.ToUnixTimeMilliseconds() ?? long.MinValue, until?.ToUnixTimeMilliseconds() ?? long.MaxValue);
        return rows.Select(View).ToList();
    }

    public async Task<CustodyVerificationView?> VerifyAsync(string tenantId, string siteId, string? subject, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        if (!await SiteOfTenantAsync(s, tenantId, siteId))
            return null;
        var chosen = subject is null ? "" : await SubjectOfAsync(s, siteId, subject);
        // In the order the hub received them: a row moved, or an index rewritten, shows against it.
        var events = await s.QueryAsync(
            $"SELECT {Columns} FROM custody_events WHERE site_id = ? AND (? = '' OR subject = ?) ORDER BY sequence, idx", siteId, chosen, chosen);
        var heads = await s.QueryAsync(
            "SELECT subject, idx, hash FROM custody_heads WHERE site_id = ? AND (? = '' OR subject = ?) ORDER BY subject", siteId, chosen, chosen);
        var verdict = CustodyVerifier.VerifyAll(
            events.Select(r => View(r).ToEvent()),
            heads.Select(h => new CustodyHead(h.Text(0), h.Long(1), h.Text(2))));
        return new CustodyVerificationView(
            siteId, verdict.Chains, verdict.Events, verdict.AllVerify,
            verdict.Problems.Select(p => new CustodyProblemView(p.Subject, p.Index, p.Kind.ToString().ToLowerInvariant(), p.Detail)).ToList());
    }

    private static async Task<bool> SiteOfTenantAsync(HubSession s, string tenantId, string siteId) =>
        await s.SingleOrDefaultAsync("SELECT 1 FROM sites WHERE site_id = ? AND tenant_id = ?", siteId, tenantId) is not null;

    /// <summary>A device's id for its id or serial at the site; anything else as given (a battery's serial).</summary>
    private static async Task<string> SubjectOfAsync(HubSession s, string siteId, string subject) =>
        (await s.SingleOrDefaultAsync("SELECT device_id FROM devices WHERE site_id = ? AND (device_id = ? OR serial = ?) ORDER BY device_id LIMIT 1", siteId, subject, subject))
            ?.Text(0) ?? subject;

    private static CustodyEventView View(Row r) => new(
        r.Text(0), r.Text(1), r.Text(2), r.Long(3), r.Time(4), r.Text(5), r.Text(6), r.Text(7), r.Text(8), r.Text(9),
        r.Text(10), r.Text(11), r.Text(12), r.Text(13));
}
