using System.Globalization;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Domain.Drift;

/// <summary>
/// What a device reports, as both CLIs (<c>edgemdm-edge devices show</c>, <c>edgemdm devices show</c>) and device lists
/// print it: one place, so the site and the hub say the same thing the same way. An item the device did not report
/// reads "not reported".
/// </summary>
public static class DeviceStatusText
{
    public const string NotReported = "not reported";

    /// <summary><c>1.2 (120)</c>, or <c>120</c> without a name.</summary>
    public static string Version(long versionCode, string? versionName) =>
        string.IsNullOrEmpty(versionName)
            ? versionCode.ToString(CultureInfo.InvariantCulture)
            : $"{versionName} ({versionCode.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>The dock state for a list: <c>C1/3</c> (cradle and slot), <c>docked</c>, <c>charging</c>, <c>-</c> (not docked), or "" when unknown.</summary>
    public static string Dock(BatteryStatus? battery) => battery switch
    {
        { DockedAt: { CradleId: { Length: > 0 } cradle, Slot: { } slot } } => $"{cradle}/{slot.ToString(CultureInfo.InvariantCulture)}",
        { Docked: true } => "docked",
        { Charging: true } => "charging",
        { Docked: false } => "-",
        _ => "",
    };

    /// <summary>Labelled lines (label, text) in a fixed order: OS, battery, storage, Wi-Fi, then one line per app.</summary>
    public static IReadOnlyList<(string Label, string Text)> Lines(DeviceStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var lines = new List<(string, string)>
        {
            ("os", Os(status.Os)),
            ("battery", Battery(status.Battery)),
            ("storage", Storage(status.Storage)),
            ("wi-fi", Wifi(status.Wifi)),
        };
        if (status.Apps is null)
            lines.Add(("apps", NotReported));
        else if (status.Apps.Count == 0)
            lines.Add(("apps", "none"));
        else
            lines.AddRange(status.Apps.OrderBy(a => a.PackageName, StringComparer.Ordinal).Select(a => ("app", $"{a.PackageName} {(a.VersionCode is { } code ? Version(code, a.VersionName) : a.VersionName ?? "-")}")));
        return lines;
    }

    public static string Os(OsStatus? os) => os is null
        ? NotReported
        : $"{os.Version ?? "-"}, security patch {os.SecurityPatch?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-"}";

    public static string Battery(BatteryStatus? battery)
    {
        if (battery is null)
            return NotReported;
        var parts = new List<string> { battery.Level is { } level ? Percent(level) : "level -" };
        if (battery.HealthPercent is { } health)
            parts.Add("health " + Percent(health));
        if (battery.CycleCount is { } cycles)
            parts.Add(cycles.ToString(CultureInfo.InvariantCulture) + " cycles");
        parts.Add(battery.Charging == true ? "charging" : "not charging");
        if (battery.TimeToFullMinutes is { } minutes && battery.Charging == true)
            parts.Add($"full in {minutes.ToString(CultureInfo.InvariantCulture)} min");
        parts.Add(battery switch
        {
            { DockedAt: { CradleId: { Length: > 0 } cradle, Slot: { } slot } } => $"docked in cradle {cradle} slot {slot.ToString(CultureInfo.InvariantCulture)}",
            { Docked: true } => "docked",
            { Docked: false } => "not docked",
            _ => "dock unknown",
        });
        if (!string.IsNullOrEmpty(battery.Serial))
            parts.Add("pack " + battery.Serial);
        return string.Join(", ", parts);
    }

    public static string Storage(StorageStatus? storage) => storage switch
    {
        null => NotReported,
        { FreeBytes: { } free, TotalBytes: { } total } => $"{Bytes(free)} free of {Bytes(total)}",
        { FreeBytes: { } free } => $"{Bytes(free)} free",
        _ => "-",
    };

    public static string Wifi(WifiStatus? wifi)
    {
        if (wifi is null)
            return NotReported;
        var text = wifi.Ssid ?? "-";
        if (wifi.Rssi is { } rssi)
            text += $", {rssi.ToString(CultureInfo.InvariantCulture)} dBm";
        if (!string.IsNullOrEmpty(wifi.Bssid))
            text += ", access point " + wifi.Bssid;
        return text;
    }

    /// <summary>Bytes in binary units with one decimal: <c>512 B</c>, <c>1.5 GB</c> (GiB, as phones show storage).</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        var value = (double)bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
            : value.ToString("0.#", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    private static string Percent(int value) => value.ToString(CultureInfo.InvariantCulture) + " %";
}
