using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Lifecycle;

namespace EdgeMdm.Edge.Fleet;

/// <summary>One line of <c>devices list</c>.</summary>
public sealed record DeviceSummary(
    string DeviceId,
    string Serial,
    string Manufacturer,
    string Model,
    string Group,
    DeviceState State,
    bool Compliant,
    int Findings,
    int? BatteryLevel,
    string? OsVersion,
    DateTimeOffset? LastCheckinAt,
    long Checkins);

/// <summary>A device with its current findings and its whole lifecycle history.</summary>
public sealed record DeviceDetail(
    DeviceSummary Device,
    IReadOnlyList<DriftFinding> CurrentFindings,
    IReadOnlyList<StateTransitionRecord> History,
    int Enrollments);

public sealed record StateTransitionRecord(DeviceState? From, DeviceState To, string Actor, string Reason, DateTimeOffset At);

/// <summary>What <c>drift</c> prints: which app versions the floor really runs, and who is out of line.</summary>
public sealed record DriftSummary(
    int Devices,
    int Compliant,
    IReadOnlyList<AppVersionCount> AppVersions,
    IReadOnlyList<NonCompliantDevice> NonCompliant);

/// <param name="Required">True when this is the version a blueprint requires for at least one group.</param>
public sealed record AppVersionCount(string PackageName, long VersionCode, string? VersionName, int Devices, bool Required);

public sealed record NonCompliantDevice(string DeviceId, string Serial, string Group, DeviceState State, IReadOnlyList<DriftFinding> Findings);

public sealed record CommandSummary(
    string CommandId,
    string DeviceId,
    string Type,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? DeliveredAt,
    string? ResultMessage);

public sealed record TokenSummary(string Prefix, string Group, int UsesAllowed, int UsesCount, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt);

/// <summary>A freshly created enrollment token; the clear value is shown once and never stored.</summary>
public sealed record IssuedToken(string Token, string Group, int Uses, DateTimeOffset ExpiresAt);

/// <summary>What <c>sync status</c> prints: the uplink and how far behind the hub is.</summary>
/// <param name="Uplink">Connected, Trying, Offline or NotConfigured, as the running appliance last recorded it.</param>
/// <param name="LagSeconds">Age of the oldest change the hub does not have yet; 0 when none is waiting.</param>
public sealed record SyncStatus(
    string Uplink,
    DateTimeOffset? LastSyncAt,
    long OutboxDepth,
    double LagSeconds,
    ulong AckedThrough,
    ulong FeedPosition);
