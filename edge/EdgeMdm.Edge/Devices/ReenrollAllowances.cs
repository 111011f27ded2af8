using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Edge.Storage;
using SQLite;

namespace EdgeMdm.Edge.Devices;

/// <summary>
/// An operator's leave for one device to enroll again once before <see cref="ExpiresAt"/>, and what became of it.
/// </summary>
/// <param name="State">The device's lifecycle state when the allowance was granted.</param>
/// <param name="Outcome"><c>used</c>, <c>replaced</c> or <c>revoked</c> once closed; null while open.</param>
/// <param name="ClosedBy">The enrollment that used it, or what replaced or revoked it.</param>
public sealed record ReenrollAllowance(
    long Id,
    string DeviceId,
    string Serial,
    DeviceState State,
    string GrantedBy,
    string Reason,
    DateTimeOffset GrantedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? ClosedAt,
    string? Outcome,
    string? ClosedBy)
{
    /// <summary>Whether an enrollment at <paramref name="now"/> may use it: neither closed nor expired.</summary>
    public bool IsUsableAt(DateTimeOffset now) => ClosedAt is null && ExpiresAt > now;

    /// <summary>open | expired | used | replaced | revoked, as of <paramref name="now"/>.</summary>
    public string StatusAt(DateTimeOffset now) => Outcome ?? (ExpiresAt > now ? "open" : "expired");
}

/// <summary>
/// Operators' allowances for a known device to enroll again (table <c>reenroll_allowances</c>, kept for good as the
/// site's record): granted by <c>edgemdm-edge devices allow-reenroll</c>, used up by the enrollment they allow, in
/// that enrollment's writer unit. At most one is open per device: a new grant replaces the open one, and an
/// operator's state change revokes it (it was granted for the device as it was).
/// </summary>
public interface IReenrollAllowances
{
    /// <summary>
    /// Lets the device enroll again once within <paramref name="lifetime"/> (at most
    /// <see cref="Reenrollment.MaxAllowanceLifetime"/>). Refused for an unknown device, and for one whose state needs
    /// no allowance or admits none (<see cref="Reenrollment.AllowanceApplies"/>).
    /// </summary>
    Task<Outcome<ReenrollAllowance>> AllowAsync(string deviceIdOrSerial, TimeSpan lifetime, string actor, string reason, DateTimeOffset now);

    /// <summary>The device's allowance not closed yet, expired or not; null when there is none. In the caller's unit.</summary>
    ReenrollAllowance? Open(UnitOfWork unit, string deviceId);

    /// <summary>Closes the open allowance of the device, if any, as <paramref name="outcome"/> (used | revoked), in the caller's unit.</summary>
    void Close(UnitOfWork unit, string deviceId, string outcome, string closedBy, DateTimeOffset now);
}

internal sealed class ReenrollAllowances(EdgeStorage storage) : IReenrollAllowances
{
    public Task<Outcome<ReenrollAllowance>> AllowAsync(string deviceIdOrSerial, TimeSpan lifetime, string actor, string reason, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lifetime, Reenrollment.MaxAllowanceLifetime);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return storage.WriteAsync<Outcome<ReenrollAllowance>>(unit =>
        {
            if (DeviceRow.Find(unit.Db, deviceIdOrSerial) is not { } device)
                return new Refusal(RefusalKind.NotFound, "Unknown device", $"no device {deviceIdOrSerial} at this site");
            if (!Reenrollment.AllowanceApplies(device.State))
                return NotApplicable(device);

            Close(unit, device.Id, "replaced", "a newer allowance by " + actor, now);
            unit.Db.Execute(
                "INSERT INTO reenroll_allowances (device_id, state, granted_by, reason, granted_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                device.Id, device.State.ToString(), actor, reason, now.ToUnixTimeMilliseconds(), (now + lifetime).ToUnixTimeMilliseconds());
            return Open(unit, device.Id)!;
        });
    }

    private static Refusal NotApplicable(DeviceRecord device) => device.State == DeviceState.Retired
        ? new Refusal(RefusalKind.Conflict, "Device retired",
            $"device {device.Serial} is retired, and Retired is final: no allowance brings it back")
        : new Refusal(RefusalKind.Conflict, "No allowance needed",
            $"device {device.Serial} is {device.State}: an enrollment token alone re-enrolls it, so no allowance was recorded");

    public ReenrollAllowance? Open(UnitOfWork unit, string deviceId) =>
        unit.Db.Query<AllowanceRow>(AllowanceRow.Select + " WHERE a.device_id = ? AND a.closed_at IS NULL ORDER BY a.id DESC LIMIT 1", deviceId)
            .FirstOrDefault()?.ToRecord();

    public void Close(UnitOfWork unit, string deviceId, string outcome, string closedBy, DateTimeOffset now) =>
        unit.Db.Execute(
            "UPDATE reenroll_allowances SET closed_at = ?, outcome = ?, closed_by = ? WHERE device_id = ? AND closed_at IS NULL",
            now.ToUnixTimeMilliseconds(), outcome, closedBy, deviceId);

    /// <summary>Every allowance the device was ever given, oldest first (for <c>devices show</c>).</summary>
    internal static List<ReenrollAllowance> History(SQLiteConnection db, string deviceId) =>
        db.Query<AllowanceRow>(AllowanceRow.Select + " WHERE a.device_id = ? ORDER BY a.id", deviceId).Select(r => r.ToRecord()).ToList();

    private sealed class AllowanceRow
    {
        public const string Select =
            """
            SELECT a.id AS Id, a.device_id AS DeviceId, d.serial AS Serial, a.state AS State, a.granted_by AS GrantedBy, a.reason AS Reason,
                   a.granted_at AS GrantedAt, a.expires_at AS ExpiresAt, a.closed_at AS ClosedAt, a.outcome AS Outcome, a.closed_by AS ClosedBy
            FROM reenroll_allowances a JOIN devices d ON d.id = a.device_id
            """;

        // Mutable because sqlite-net sets properties one by one.
        public long Id { get; set; }
        public string DeviceId { get; set; } = "";
        public string Serial { get; set; } = "";
        public string State { get; set; } = "";
        public string GrantedBy { get; set; } = "";
        public string Reason { get; set; } = "";
        public long GrantedAt { get; set; }
        public long ExpiresAt { get; set; }
        public long? ClosedAt { get; set; }
        public string? Outcome { get; set; }
        public string? ClosedBy { get; set; }

        public ReenrollAllowance ToRecord() => new(
            Id, DeviceId, Serial, Enum.Parse<DeviceState>(State), GrantedBy, Reason, DateTimeOffset.FromUnixTimeMilliseconds(GrantedAt),
            DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAt), ClosedAt is { } closed ? DateTimeOffset.FromUnixTimeMilliseconds(closed) : null,
            Outcome, ClosedBy);
    }
}
