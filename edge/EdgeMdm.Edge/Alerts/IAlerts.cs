using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Alerts;

/// <summary>
/// An open alert: one per <see cref="Kind"/> and <see cref="Subject"/> (a pool's model, a device id), raised when a
/// condition starts and cleared when it ends; a supervisor may acknowledge it with a note meanwhile.
/// </summary>
public sealed record AlertRecord(
    long Id,
    string Kind,
    string Subject,
    string Message,
    DateTimeOffset RaisedAt,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy,
    string? Note);

/// <summary>The site's alerts. Declared by Alerts; features raise and clear them in their own unit.</summary>
public interface IAlerts
{
    /// <summary>Opens the alert for (<paramref name="kind"/>, <paramref name="subject"/>), or updates the message of the one open.</summary>
    void Raise(UnitOfWork unit, string kind, string subject, string message, DateTimeOffset now);

    /// <summary>Closes the open alert for (<paramref name="kind"/>, <paramref name="subject"/>); nothing when none is open.</summary>
    void Clear(UnitOfWork unit, string kind, string subject, DateTimeOffset now);

    /// <summary>Every open alert, oldest first.</summary>
    IReadOnlyList<AlertRecord> Open();

    /// <summary>
    /// A supervisor has seen the open alert <paramref name="id"/>: who, when and their note are kept on it (a later
    /// acknowledgement replaces them). The alert stays open until its condition ends. Unknown or cleared: refused.
    /// </summary>
    Task<Outcome<AlertRecord>> AcknowledgeAsync(long id, string actor, string note, DateTimeOffset now);
}
