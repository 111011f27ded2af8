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
    string? Assignment = null,
    DateTimeOffset? EnrolledAt = null)
{
    /// <summary>What <see cref="ComplianceClassifier"/> needs of it.</summary>
    public DeviceCompliance ComplianceInput() => new(ComplianceClassifier.HasReported(StatusJson), Compliant, EnrolledAt, LastCheckinAt);

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

/// <summary>
/// One line of <c>devices list</c>. <c>Compliance</c>: compliant, non-compliant, unknown (nothing reported since its
/// (re)enrollment) or stale (silent longer than the window), <see cref="ComplianceClassifier"/>; <c>App</c>: the key
/// app's version (<see cref="KeyApp"/>: the first app its group's blueprint requires); <c>Dock</c>: <c>C1/3</c>,
/// <c>docked</c>, <c>charging</c>, <c>-</c>, or "" unknown.
/// </summary>
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
    public string Compliance { get; init; } = "";

    public DateTimeOffset? EnrolledAt { get; init; }

    public string App { get; init; } = "";

    public string Dock { get; init; } = "";

    /// <param name="blueprint">The device's group's blueprint (for the key app); null when the group has none.</param>
    public static DeviceSummary Of(DeviceRecord device, DateTimeOffset now, TimeSpan staleAfter, EdgeMdm.Domain.Blueprints.Blueprint? blueprint)
    {
        ArgumentNullException.ThrowIfNull(device);
        var status = device.ParsedStatus();
        return new DeviceSummary(
            device.Id, device.Serial, device.Manufacturer, device.Model, device.Group, device.State, device.Compliant,
            device.ParsedFindings().Count, status.Battery?.Level, device.OsVersion, device.LastCheckinAt, device.CheckinCount, device.Assignment)
        {
            Compliance = ComplianceClassifier.Name(ComplianceClassifier.Classify(device.ComplianceInput(), now, staleAfter)),
            EnrolledAt = device.EnrolledAt,
            App = KeyApp.Of(blueprint, status)?.Text() ?? "",
            Dock = DeviceStatusText.Dock(status.Battery),
        };
    }
}

/// <summary>
/// A device with its current findings, its whole lifecycle history, every re-enrollment allowance it was given, and
/// what it reports (<see cref="Reported"/>: its last merged status).
/// </summary>
public sealed record DeviceDetail(
    DeviceSummary Device,
    IReadOnlyList<DriftFinding> CurrentFindings,
    IReadOnlyList<StateTransitionRecord> History,
    int Enrollments,
    IReadOnlyList<ReenrollAllowance> Allowances)
{
    public DeviceStatus Reported { get; init; } = new();
}

public sealed record StateTransitionRecord(DeviceState? From, DeviceState To, string Actor, string Reason, DateTimeOffset At);

/// <summary>How many non-retired devices run one version of an app.</summary>
public sealed record InstalledVersionCount(string PackageName, long VersionCode, string? VersionName, int Devices);
