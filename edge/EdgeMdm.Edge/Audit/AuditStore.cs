using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Chains;
using EdgeMdm.Edge.Storage;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Audit;

/// <summary>
/// The site's audit chain (table <c>audit_records</c>): appended in the caller's unit with its upstream event, never
/// updated. The writer's single thread makes "read the head, append the next" one step.
/// </summary>
internal sealed class AuditStore(EdgeStorage storage) : IAuditLog, IAuditTrail
{
    /// <summary>The one chain of a site; the hub keeps it under the site's id.</summary>
    public const string Chain = "site";

    private const string Select =
        "SELECT idx AS Idx, at AS At, actor AS Actor, action AS Action, subject AS Subject, source AS Source, detail AS Detail, " +
        "previous_hash AS PreviousHash, hash AS Hash FROM audit_records";

    public bool RecordOnce(UnitOfWork unit, AuditEntry entry, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(entry);
        var held = unit.Db.ExecuteScalar<long>(
            "SELECT count(*) FROM audit_records WHERE source = ? AND detail = ? AND action = ? AND subject = ? AND actor = ?",
            entry.Source, entry.Detail, entry.Action, entry.Subject, entry.Actor) > 0;
        if (held)
            return false;
        Record(unit, entry, now);
        return true;
    }

    public AuditRecord Record(UnitOfWork unit, AuditEntry entry, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(entry);
        var head = unit.Db.Query<AuditRow>(Select + " ORDER BY idx DESC LIMIT 1").FirstOrDefault()?.ToRecord();
        var next = AuditChain.Next(Chain, head, entry, now);
        unit.Db.Execute(
            "INSERT INTO audit_records (idx, at, actor, action, subject, source, detail, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            next.Index, next.At.ToUnixTimeMilliseconds(), next.Actor, next.Action, next.Subject, next.Source, next.Detail, next.PreviousHash, next.Hash);
        Outbox.Append(unit, new SiteChange
        {
            AtUnixMs = next.At.ToUnixTimeMilliseconds(),
            AuditRecorded = new AuditRecorded
            {
                Index = (ulong)next.Index,
                AtUnixMs = next.At.ToUnixTimeMilliseconds(),
                Actor = next.Actor,
                Action = next.Action,
                Subject = next.Subject,
                Source = next.Source,
                Detail = next.Detail,
                PreviousHash = next.PreviousHash,
                Hash = next.Hash,
            },
        });
        return next;
    }

    public Task<AuditRecord> RecordAsync(AuditEntry entry, DateTimeOffset now) =>
        storage.WriteAsync(unit => Record(unit, entry, now));

    public IReadOnlyList<AuditRecord> Between(DateTimeOffset? since, DateTimeOffset? until) =>
        storage.Read(db => db.Query<AuditRow>(
                Select + " WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2) ORDER BY idx",
                since?.ToUnixTimeMilliseconds(), until?.ToUnixTimeMilliseconds())
            .Select(r => r.ToRecord()).ToList());

    /// <summary>In rowid order: the chain is only appended, so a row moved or renumbered shows against it.</summary>
    public ChainVerification Verify() =>
        AuditChain.Verify(storage.Read(db => db.Query<AuditRow>(Select + " ORDER BY rowid")).Select(r => r.ToRecord()).ToList());

    internal sealed class AuditRow
    {
        public long Idx { get; set; }

        public long At { get; set; }

        public string Actor { get; set; } = "";

        public string Action { get; set; } = "";

        public string Subject { get; set; } = "";

        public string Source { get; set; } = "";

        public string Detail { get; set; } = "";

        public string PreviousHash { get; set; } = "";

        public string Hash { get; set; } = "";

        public AuditRecord ToRecord() =>
            new(Chain, Idx, DateTimeOffset.FromUnixTimeMilliseconds(At), Actor, Action, Subject, Source, Detail, PreviousHash, Hash);
    }
}

public static class AuditRegistration
{
    public static IServiceCollection AddAudit(this IServiceCollection services) =>
        services.AddSingletonServing<AuditStore>(typeof(IAuditLog), typeof(IAuditTrail));
}
