using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Custody;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.Storage;
using EdgeMdm.ServiceDefaults;
using SQLite;

namespace EdgeMdm.Edge.Custody;

/// <summary>
/// The site's custody chains (table <c>custody_events</c>): appended in the caller's unit with their upstream event,
/// never updated. The chain's order is its <c>idx</c>; the writer's single thread makes "read the head, append the
/// next" one step.
/// </summary>
internal sealed class CustodyStore(EdgeStorage storage, IAuditLog audit) : ICustodyLog
{
    private const string Select =
        "SELECT subject AS Subject, subject_kind AS SubjectKind, idx AS Idx, at AS At, from_party AS FromParty, to_party AS ToParty, " +
        "actor AS Actor, place AS Place, note AS Note, erasure_method AS ErasureMethod, erasure_certificate AS ErasureCertificate, " +
        "previous_hash AS PreviousHash, hash AS Hash FROM custody_events";

    public CustodyEvent Append(UnitOfWork unit, CustodyHandOff handOff, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(handOff);
        var head = unit.Db.Query<CustodyRow>(Select + " WHERE subject = ? ORDER BY idx DESC LIMIT 1", handOff.Subject).FirstOrDefault()?.ToEvent();
        var next = CustodyChain.Next(head, handOff, now);
        unit.Db.Execute(
            "INSERT INTO custody_events (subject, subject_kind, idx, at, from_party, to_party, actor, place, note, erasure_method, erasure_certificate, previous_hash, hash) " +
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            next.Subject, KindText(next.SubjectKind), next.Index, next.At.ToUnixTimeMilliseconds(), next.From, next.To, next.Actor, next.Place, next.Note,
            next.ErasureMethod, next.ErasureCertificate, next.PreviousHash, next.Hash);
        Outbox.Append(unit, new SiteChange
        {
            AtUnixMs = next.At.ToUnixTimeMilliseconds(),
            DeviceId = next.SubjectKind == CustodySubjectKind.Device ? next.Subject : "",
            CustodyRecorded = ToMessage(next),
        });
        var erasure = next.ErasureMethod.Length == 0 ? "" : $", erased by {next.ErasureMethod}";
        audit.Record(unit, new AuditEntry(next.Actor, AuditActions.Custody, next.Subject, next.Place, $"{next.From} → {next.To}, custody event {next.Index}{erasure}"), now);
        return next;
    }

    public IReadOnlyList<CustodyEvent> ChainOf(string subject) =>
        storage.Read(db => Chain(db, subject));

    internal static IReadOnlyList<CustodyEvent> Chain(SQLiteConnection db, string subject) =>
        db.Query<CustodyRow>(Select + " WHERE subject = ? ORDER BY idx", subject).Select(r => r.ToEvent()).ToList();

    /// <summary>
    /// Every event (or the subject's), in the order the rows were inserted (rowid): the chain is only ever appended, so
    /// a row moved, or an index rewritten, shows against it (<see cref="CustodyVerifier"/>).
    /// </summary>
    internal IReadOnlyList<CustodyEvent> InStoredOrder(string? subject) =>
        storage.Read(db => (subject is null
                ? db.Query<CustodyRow>(Select + " ORDER BY rowid")
                : db.Query<CustodyRow>(Select + " WHERE subject = ? ORDER BY rowid", subject))
            .Select(r => r.ToEvent()).ToList());

    /// <summary>The events of <paramref name="subject"/> (null: every subject) whose time is in [from, to), by time.</summary>
    internal IReadOnlyList<CustodyEvent> Between(string? subject, DateTimeOffset? from, DateTimeOffset? to) =>
        storage.Read(db => db.Query<CustodyRow>(
                Select + " WHERE (?1 IS NULL OR subject = ?1) AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at < ?3) ORDER BY at, subject, idx",
                subject, from?.ToUnixTimeMilliseconds(), to?.ToUnixTimeMilliseconds())
            .Select(r => r.ToEvent()).ToList());

    internal static CustodyEventRecorded ToMessage(CustodyEvent e) => new()
    {
        Subject = e.Subject,
        SubjectKind = KindText(e.SubjectKind),
        Index = (ulong)e.Index,
        FromParty = e.From,
        ToParty = e.To,
        Actor = e.Actor,
        Place = e.Place,
        Note = e.Note,
        ErasureMethod = e.ErasureMethod,
        ErasureCertificate = e.ErasureCertificate,
        PreviousHash = e.PreviousHash,
        Hash = e.Hash,
        AtUnixMs = e.At.ToUnixTimeMilliseconds(),
    };

    internal static string KindText(CustodySubjectKind kind) => kind == CustodySubjectKind.Device ? "device" : "battery";

    internal sealed class CustodyRow
    {
        public string Subject { get; set; } = "";

        public string SubjectKind { get; set; } = "";

        public long Idx { get; set; }

        public long At { get; set; }

        public string FromParty { get; set; } = "";

        public string ToParty { get; set; } = "";

        public string Actor { get; set; } = "";

        public string Place { get; set; } = "";

        public string Note { get; set; } = "";

        public string ErasureMethod { get; set; } = "";

        public string ErasureCertificate { get; set; } = "";

        public string PreviousHash { get; set; } = "";

        public string Hash { get; set; } = "";

        public CustodyEvent ToEvent() => new(
            Subject, string.Equals(SubjectKind, "battery", StringComparison.Ordinal) ? CustodySubjectKind.Battery : CustodySubjectKind.Device,
            Idx, DateTimeOffset.FromUnixTimeMilliseconds(At), FromParty, ToParty, Actor, Place, Note, ErasureMethod, ErasureCertificate, PreviousHash, Hash);
    }
}
