using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Chains;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Audit;

/// <summary>
/// The site's audit trail (table <c>audit_records</c>, one hash chain). Declared by Audit; every feature whose change a
/// person, the hub or the appliance makes records it here, in the unit of work of the change itself, so the record
/// commits or rolls back with it, and its upstream event (<c>AuditRecorded</c>, never coalesced) with both.
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends <paramref name="entry"/> to the chain in <paramref name="unit"/>, with its upstream event; returns the record as chained.</summary>
    AuditRecord Record(UnitOfWork unit, AuditEntry entry, DateTimeOffset now);

    /// <summary>
    /// Appends <paramref name="entry"/> unless the trail already holds the very same entry: a feed change applied again
    /// after the site's sync cursor was lost (a restored backup) was made by the hub once, and once is what the trail
    /// says — and a replay must send nothing new upstream. Returns whether it appended.
    /// </summary>
    bool RecordOnce(UnitOfWork unit, AuditEntry entry, DateTimeOffset now);

    /// <summary>
    /// Appends <paramref name="entry"/> in a writer unit of its own: for what changes nothing else (a sign-in, a failed one).
    /// </summary>
    Task<AuditRecord> RecordAsync(AuditEntry entry, DateTimeOffset now);
}

/// <summary>The trail as the operator reads it: by period, and verified as stored.</summary>
public interface IAuditTrail
{
    /// <summary>The records whose time is in [<paramref name="since"/>, <paramref name="until"/>) (null: unbounded), in chain order.</summary>
    IReadOnlyList<AuditRecord> Between(DateTimeOffset? since, DateTimeOffset? until);

    /// <summary>The whole chain verified in stored (insertion) order: names each edited, removed or reordered record.</summary>
    ChainVerification Verify();
}
