using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.Storage;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Alerts;

/// <summary>The site's alerts (table <c>alerts</c>); the partial unique index keeps one open alert per kind and subject.</summary>
internal sealed class AlertStore(EdgeStorage storage, IAuditLog audit) : IAlerts
{
    private const string Select =
        "SELECT id AS Id, kind AS Kind, subject AS Subject, message AS Message, raised_at AS RaisedAt, acknowledged_at AS AcknowledgedAt, " +
        "acknowledged_by AS AcknowledgedBy, note AS Note FROM alerts";

    public void Raise(UnitOfWork unit, string kind, string subject, string message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(unit);
        unit.Db.Execute(
            "INSERT INTO alerts (kind, subject, message, raised_at) VALUES (?, ?, ?, ?) " +
            "ON CONFLICT (kind, subject) WHERE cleared_at IS NULL DO UPDATE SET message = excluded.message",
            kind, subject, message, now.ToUnixTimeMilliseconds());
    }

    public void Clear(UnitOfWork unit, string kind, string subject, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(unit);
        unit.Db.Execute("UPDATE alerts SET cleared_at = ? WHERE kind = ? AND subject = ? AND cleared_at IS NULL", now.ToUnixTimeMilliseconds(), kind, subject);
    }

    public IReadOnlyList<AlertRecord> Open() =>
        storage.Read(db => db.Query<AlertRow>(Select + " WHERE cleared_at IS NULL ORDER BY raised_at, id")).Select(r => r.ToRecord()).ToList();

    public Task<Outcome<AlertRecord>> AcknowledgeAsync(long id, string actor, string note, DateTimeOffset now) =>
        storage.WriteAsync<Outcome<AlertRecord>>(unit =>
        {
            var changed = unit.Db.Execute(
                "UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ?, note = ? WHERE id = ? AND cleared_at IS NULL",
                now.ToUnixTimeMilliseconds(), actor, note, id);
            if (changed == 0)
                return new Refusal(RefusalKind.NotFound, "Unknown alert", $"no open alert {id} at this site (it may have cleared: 'alerts' lists the open ones)");
            var alert = unit.Db.Query<AlertRow>(Select + " WHERE id = ?", id).Single().ToRecord();
            audit.Record(unit, new AuditEntry(actor, AuditActions.AlertAcknowledged, $"{alert.Kind} {alert.Subject}", Detail: note), now);
            return alert;
        });

    private sealed class AlertRow
    {
        public long Id { get; set; }

        public string Kind { get; set; } = "";

        public string Subject { get; set; } = "";

        public string Message { get; set; } = "";

        public long RaisedAt { get; set; }

        public long? AcknowledgedAt { get; set; }

        public string? AcknowledgedBy { get; set; }

        public string? Note { get; set; }

        public AlertRecord ToRecord() => new(
            Id, Kind, Subject, Message, DateTimeOffset.FromUnixTimeMilliseconds(RaisedAt),
            AcknowledgedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, AcknowledgedBy, Note);
    }
}

public static class AlertRegistration
{
    public static IServiceCollection AddAlerts(this IServiceCollection services) =>
        services.AddSingletonServing<AlertStore>(typeof(IAlerts));
}
