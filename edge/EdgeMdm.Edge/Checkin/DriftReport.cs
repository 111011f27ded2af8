using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Edge.Devices;

namespace EdgeMdm.Edge.Checkin;

/// <summary>
/// What <c>drift</c> prints: which app versions the floor really runs, and who is out of line. Every device that is not
/// retired is in exactly one of compliant, <see cref="NonCompliant"/>, <see cref="Unknown"/> (enrolled, nothing reported
/// since) and <see cref="Stale"/> (silent for a day), as <see cref="ComplianceClassifier"/> says.
/// </summary>
public sealed record DriftSummary(
    int Devices,
    int Compliant,
    IReadOnlyList<AppVersionCount> AppVersions,
    IReadOnlyList<NonCompliantDevice> NonCompliant)
{
    public IReadOnlyList<QuietDevice> Unknown { get; init; } = [];

    public IReadOnlyList<QuietDevice> Stale { get; init; } = [];
}

/// <summary>A device with nothing to judge: enrolled and silent since (unknown), or silent for too long (stale).</summary>
public sealed record QuietDevice(string DeviceId, string Serial, string Group, DeviceState State, DateTimeOffset? EnrolledAt, DateTimeOffset? LastCheckinAt);

public sealed record NonCompliantDevice(string DeviceId, string Serial, string Group, DeviceState State, IReadOnlyList<DriftFinding> Findings);

/// <summary>Floor truth across the site, from what each device's last check-in was judged.</summary>
public interface IDriftReport
{
    DriftSummary Drift();
}

internal sealed class DriftReport(IDeviceQueries devices, IDeclarations declarations, TimeProvider clock) : IDriftReport
{
    public DriftSummary Drift()
    {
        var now = clock.GetUtcNow();
        var classified = devices.NotRetired()
            .Select(d => (Device: d, State: ComplianceClassifier.Classify(d.ComplianceInput(), now, ComplianceClassifier.DefaultStaleAfter)))
            .ToList();
        List<QuietDevice> Quiet(ComplianceState state) => classified
            .Where(d => d.State == state)
            .Select(d => new QuietDevice(d.Device.Id, d.Device.Serial, d.Device.Group, d.Device.State, d.Device.EnrolledAt, d.Device.LastCheckinAt))
            .ToList();
        // A rollout's from version is as required as its target while devices are still declared it.
        var required = declarations.RequiredVersions();
        var versions = devices.InstalledVersions()
            .Select(v => new AppVersionCount(v.PackageName, v.VersionCode, v.VersionName, v.Devices, required.Contains((v.PackageName, v.VersionCode))))
            .ToList();
        var nonCompliant = classified
            .Where(d => d.State == ComplianceState.NonCompliant)
            .Select(d => new NonCompliantDevice(d.Device.Id, d.Device.Serial, d.Device.Group, d.Device.State, d.Device.ParsedFindings()))
            .ToList();
        return new DriftSummary(classified.Count, classified.Count(d => d.State == ComplianceState.Compliant), versions, nonCompliant)
        {
            Unknown = Quiet(ComplianceState.Unknown),
            Stale = Quiet(ComplianceState.Stale),
        };
    }
}
