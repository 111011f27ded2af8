using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Domain.Drift;

/// <summary>
/// The app version that matters in a device list: the device's installed version of the first app its group's
/// blueprint requires (a blueprint names the line-of-business app first; a rollout moves that app's required version
/// to its target), beside the required version. <see cref="InstalledVersionCode"/> is null when the device does not
/// report the app (not installed, or nothing reported yet).
/// </summary>
public sealed record KeyAppVersion(
    string PackageName, long RequiredVersionCode, string RequiredVersionName, long? InstalledVersionCode, string? InstalledVersionName)
{
    public bool Current => InstalledVersionCode == RequiredVersionCode;

    /// <summary><c>com.acme.scan 1.2 (120)</c>, or <c>com.acme.scan 1.0 (100), wants 1.2 (120)</c>, or <c>com.acme.scan -, wants 1.2 (120)</c>.</summary>
    public string Text()
    {
        var installed = InstalledVersionCode is { } code ? DeviceStatusText.Version(code, InstalledVersionName) : "-";
        return Current
            ? $"{PackageName} {installed}"
            : $"{PackageName} {installed}, wants {DeviceStatusText.Version(RequiredVersionCode, RequiredVersionName)}";
    }
}

public static class KeyApp
{
    /// <summary>The key app of a device of a group with this blueprint; null when there is no blueprint or it requires no app.</summary>
    public static KeyAppVersion? Of(Blueprint? blueprint, DeviceStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (blueprint?.Apps is not [var required, ..])
            return null;
        var installed = status.Apps?.FirstOrDefault(a => string.Equals(a.PackageName, required.PackageName, StringComparison.Ordinal));
        return new KeyAppVersion(required.PackageName, required.VersionCode, required.VersionName, installed?.VersionCode, installed?.VersionName);
    }
}
