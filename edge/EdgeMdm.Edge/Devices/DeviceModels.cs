using System.Text.Json;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Lifecycle;

namespace EdgeMdm.Edge.Devices;

/// <summary>
/// A device as stored: what it enrolled with, its state, and what its last check-in wrote (status and findings as
/// JSON, parsed only by those who need them).
/// </summary>
public sealed record DeviceRecord(
    string Id,
    string Serial,
    string Model,
    string Manufacturer,
    string OsVersion,
    string Group,
    DeviceState State,
    int EnrollmentCount,
    DateTimeOffset? LastCheckinAt,
    long CheckinCount,
    string StatusJson,
    bool Compliant,
    string FindingsJson,
    string? Assignment = null)
{
    public DeviceStatus ParsedStatus() => JsonSerializer.Deserialize(StatusJson, DeviceProtocolJson.Default.DeviceStatus) ?? new DeviceStatus();

    public IReadOnlyList<DriftFinding> ParsedFindings() => JsonSerializer.Deserialize(FindingsJson, DevicesJson.Default.ListDriftFinding) ?? [];
}

/// <summary>What a device says of itself when it enrolls.</summary>
public sealed record DeviceFacts(string Serial, string Model, string Manufacturer, string OsVersion, string AgentVersion);

/// <summary>A device's credential as stored: SHA-256 of the secret for the device API, a Mosquitto hash for an external broker.</summary>
public sealed record DeviceCredential(string SecretHash, string BrokerHash);

/// <summary>What a check-in writes to the device's row.</summary>
public sealed record CheckinWrite(
    string? StatusJson,
    bool Compliant,
    IReadOnlyList<DriftFinding> Findings,
    string? HeldDeclarationsToken,
    string? ReportedOsVersion,
    IReadOnlyList<InstalledApp>? Apps,
    DateTimeOffset At);

/// <summary>A device of a group, as commands for the whole group see it.</summary>
public sealed record GroupMember(string DeviceId, DeviceState State);

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
    long Checkins,
    string? Assignment = null)
{
    public static DeviceSummary Of(DeviceRecord device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new DeviceSummary(
            device.Id, device.Serial, device.Manufacturer, device.Model, device.Group, device.State, device.Compliant,
            device.ParsedFindings().Count, device.ParsedStatus().Battery?.Level, device.OsVersion, device.LastCheckinAt, device.CheckinCount, device.Assignment);
    }
}

/// <summary>A device with its current findings, its whole lifecycle history and every re-enrollment allowance it was given.</summary>
public sealed record DeviceDetail(
    DeviceSummary Device,
    IReadOnlyList<DriftFinding> CurrentFindings,
    IReadOnlyList<StateTransitionRecord> History,
    int Enrollments,
    IReadOnlyList<ReenrollAllowance> Allowances);

public sealed record StateTransitionRecord(DeviceState? From, DeviceState To, string Actor, string Reason, DateTimeOffset At);

/// <summary>How many non-retired devices run one version of an app.</summary>
public sealed record InstalledVersionCount(string PackageName, long VersionCode, string? VersionName, int Devices);
