using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Edge.Devices;

namespace EdgeMdm.Edge.Checkin;

/// <summary>What <c>drift</c> prints: which app versions the floor really runs, and who is out of line.</summary>
public sealed record DriftSummary(
    int Devices,
    int Compliant,
    IReadOnlyList<AppVersionCount> AppVersions,
    IReadOnlyList<NonCompliantDevice> NonCompliant);

/// <param name="Required">True when this is the version a blueprint requires for at least one group.</param>
public sealed record AppVersionCount(string PackageName, long VersionCode, string? VersionName, int Devices, bool Required);

public sealed record NonCompliantDevice(string DeviceId, string Serial, string Group, DeviceState State, IReadOnlyList<DriftFinding> Findings);

/// <summary>Floor truth across the site, from what each device's last check-in was judged.</summary>
public interface IDriftReport
{
    DriftSummary Drift();
}

internal sealed class DriftReport(IDeviceQueries devices, IDeclarations declarations) : IDriftReport
{
    public DriftSummary Drift()
    {
        var judged = devices.NotRetired();
        // A rollout's from version is as required as its target while devices are still declared it.
        var required = declarations.RequiredVersions();
        var versions = devices.InstalledVersions()
            .Select(v => new AppVersionCount(v.PackageName, v.VersionCode, v.VersionName, v.Devices, required.Contains((v.PackageName, v.VersionCode))))
            .ToList();
        var nonCompliant = judged
            .Where(d => !d.Compliant)
            .Select(d => new NonCompliantDevice(d.Id, d.Serial, d.Group, d.State, d.ParsedFindings()))
            .ToList();
        return new DriftSummary(judged.Count, judged.Count - nonCompliant.Count, versions, nonCompliant);
    }
}
