using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Domain.Rollouts;

/// <summary>What a rollout installs: one package at one version code, and the oldest OS it installs on.</summary>
public sealed record RolloutTarget(string PackageName, long VersionCode, string? MinOsVersion)
{
    public static RolloutTarget Of(PackageManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new RolloutTarget(manifest.PackageName, manifest.VersionCode, manifest.MinOsVersion);
    }

    /// <summary>
    /// The device's reported OS against the package minimum (<see cref="VersionComparer"/>, so "14-beta" is
    /// below "14"). A device that has not reported its OS is Unknown, not compatible: it is never offered a
    /// package with a minimum until it says what it runs.
    /// </summary>
    public OsCompatibility CompatibilityWith(string? osVersion)
    {
        if (MinOsVersion is null)
            return OsCompatibility.Compatible;
        if (osVersion is null)
            return OsCompatibility.Unknown;
        return VersionComparer.Compare(osVersion, MinOsVersion) >= 0 ? OsCompatibility.Compatible : OsCompatibility.Incompatible;
    }
}

public enum OsCompatibility
{
    Compatible,
    Incompatible,
    Unknown,
}

/// <summary>Why a device says an install failed. The wire names are in <see cref="InstallFailureReasons"/>.</summary>
public enum InstallFailureReason
{
    StorageFull,
    DownloadFailed,
    SignatureBad,

    /// <summary>The device refused the package itself (ABI, SDK level…): unlike an OS below the minimum, it was offered.</summary>
    Incompatible,

    /// <summary>Anything else, including a reason this version of the code does not know yet.</summary>
    Other,
}

/// <summary>The reasons as devices report them, snake_case on the wire.</summary>
public static class InstallFailureReasons
{
    public const string StorageFull = "storage_full";
    public const string DownloadFailed = "download_failed";
    public const string SignatureBad = "signature_bad";
    public const string Incompatible = "incompatible";
    public const string Other = "other";

    public static string ToWire(this InstallFailureReason reason) => reason switch
    {
        InstallFailureReason.StorageFull => StorageFull,
        InstallFailureReason.DownloadFailed => DownloadFailed,
        InstallFailureReason.SignatureBad => SignatureBad,
        InstallFailureReason.Incompatible => Incompatible,
        _ => Other,
    };

    /// <summary>
    /// A reported reason; an unknown or missing one is <see cref="InstallFailureReason.Other"/>, so an agent
    /// newer than its site still has its failure counted rather than refused.
    /// </summary>
    public static InstallFailureReason Parse(string? wire) => wire switch
    {
        StorageFull => InstallFailureReason.StorageFull,
        DownloadFailed => InstallFailureReason.DownloadFailed,
        SignatureBad => InstallFailureReason.SignatureBad,
        Incompatible => InstallFailureReason.Incompatible,
        _ => InstallFailureReason.Other,
    };
}

/// <summary>
/// The last install failure a device reported for the target's package. It carries the version code it was
/// about so that a failure from an earlier rollout never marks the device failed in this one.
/// </summary>
public sealed record InstallFailure(long VersionCode, InstallFailureReason Reason, DateTimeOffset At);

/// <summary>
/// What a device last reported, for the target's package only (the caller picks the package out of the
/// device's status).
/// </summary>
/// <param name="InstalledVersionCode">Version code of the package installed now; null = not installed.</param>
/// <param name="OsVersion">Reported OS version; null = never reported.</param>
/// <param name="LastCheckIn">Last check-in; null = never checked in.</param>
/// <param name="LastFailure">Last install failure reported for this package, if any.</param>
public sealed record DeviceReport(long? InstalledVersionCode, string? OsVersion, DateTimeOffset? LastCheckIn, InstallFailure? LastFailure);

public enum DeviceRolloutState
{
    /// <summary>Reports exactly the target version code.</summary>
    Installed,

    /// <summary>Does not run it yet and has nothing to say against it: not offered yet, downloading, or waiting for its window.</summary>
    Pending,

    /// <summary>Reported a failure installing the target version (it may still be retrying).</summary>
    Failed,

    /// <summary>Reports an OS below the package minimum: never offered, never bricked.</summary>
    Incompatible,

    /// <summary>Pending and silent for longer than the offline threshold (or never checked in).</summary>
    Offline,
}

/// <summary>A device's place in a rollout; <see cref="Reason"/> is set for <see cref="DeviceRolloutState.Failed"/> only.</summary>
public sealed record DeviceOutcome(DeviceRolloutState State, InstallFailureReason? Reason = null)
{
    public static DeviceOutcome Installed { get; } = new(DeviceRolloutState.Installed);
    public static DeviceOutcome Pending { get; } = new(DeviceRolloutState.Pending);
    public static DeviceOutcome Incompatible { get; } = new(DeviceRolloutState.Incompatible);
    public static DeviceOutcome Offline { get; } = new(DeviceRolloutState.Offline);

    public static DeviceOutcome Failed(InstallFailureReason reason) => new(DeviceRolloutState.Failed, reason);
}

/// <summary>
/// A device's outcome from what it reports, never from what was sent: floor truth.
/// </summary>
public static class DeviceOutcomes
{
    /// <summary>
    /// In this order:
    /// <list type="number">
    /// <item>Installed when the reported version code equals the target's, whatever failed before and whatever
    /// its OS. Exactly equal: a higher version is not the target (a rollback targets a lower one, and the
    /// device must still move), the same rule drift applies to blueprints.</item>
    /// <item>Incompatible when the reported OS is below the package minimum.</item>
    /// <item>Failed with its reason when its last reported failure is for the target version code.</item>
    /// <item>Offline when it has not checked in within <paramref name="offlineAfter"/> of <paramref name="now"/>
    /// (or never did).</item>
    /// <item>Pending otherwise.</item>
    /// </list>
    /// </summary>
    public static DeviceOutcome Judge(RolloutTarget target, DeviceReport report, DateTimeOffset now, TimeSpan offlineAfter)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(report);
        if (report.InstalledVersionCode == target.VersionCode)
            return DeviceOutcome.Installed;
        if (target.CompatibilityWith(report.OsVersion) == OsCompatibility.Incompatible)
            return DeviceOutcome.Incompatible;
        if (report.LastFailure is { } failure && failure.VersionCode == target.VersionCode)
            return DeviceOutcome.Failed(failure.Reason);
        if (report.LastCheckIn is not { } lastCheckIn || now - lastCheckIn > offlineAfter)
            return DeviceOutcome.Offline;
        return DeviceOutcome.Pending;
    }
}
