using System.Globalization;

namespace EdgeMdm.Domain.Floor;

/// <summary>A cradle slot that holds (or last held) a device, as the cradle floor saw it.</summary>
public sealed record SlotSighting(string CradleId, int Slot, DateTimeOffset? ObservedAt);

/// <summary>
/// What is known of an active device's whereabouts: what it last reported (docked or not, when, the access point it was
/// associated with) and the slot a cradle says holds it, if any.
/// </summary>
public sealed record DeviceWhereabouts(
    string DeviceId,
    string Serial,
    string Group,
    DateTimeOffset? LastSeen,
    bool? ReportedDocked,
    SlotSighting? Slot,
    string? Bssid);

/// <summary>A device not back in a cradle after its shift: when it was last heard, where, and its group.</summary>
public sealed record MissingDevice(string DeviceId, string Serial, string Group, DateTimeOffset? LastSeen, string Place);

/// <summary>The devices not docked <see cref="DueAt"/> (the shift's end plus the site's grace), out of <see cref="ActiveDevices"/>.</summary>
public sealed record MissingReport(ShiftOccurrence Shift, DateTimeOffset DueAt, DateTimeOffset ComputedAt, int ActiveDevices, IReadOnlyList<MissingDevice> Missing);

public static class MissingDevices
{
    /// <summary>
    /// A device is docked when a cradle holds it and that observation is no older than the device's own last report
    /// (the newest observation wins), or when its last report says docked and no newer cradle observation says
    /// otherwise. Every other active device is missing; its place is the slot a cradle last saw it in, else the access
    /// point it last reported, else <c>unknown</c>. Longest unseen first.
    /// </summary>
    public static MissingReport Compute(ShiftOccurrence shift, DateTimeOffset dueAt, IReadOnlyList<DeviceWhereabouts> active, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(shift);
        ArgumentNullException.ThrowIfNull(active);
        var missing = active
            .Where(d => !IsDocked(d))
            .Select(d => new MissingDevice(d.DeviceId, d.Serial, d.Group, d.LastSeen, PlaceOf(d)))
            .OrderBy(d => d.LastSeen ?? DateTimeOffset.MinValue)
            .ThenBy(d => d.Serial, StringComparer.Ordinal)
            .ToList();
        return new MissingReport(shift, dueAt, now, active.Count, missing);
    }

    public static bool IsDocked(DeviceWhereabouts device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.Slot is { } slot && (slot.ObservedAt is null || device.LastSeen is null || slot.ObservedAt >= device.LastSeen))
            return true;
        return device.ReportedDocked == true;
    }

    public static string PlaceOf(DeviceWhereabouts device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.Slot is { } slot)
            return "cradle " + slot.CradleId + " slot " + slot.Slot.ToString(CultureInfo.InvariantCulture);
        return string.IsNullOrWhiteSpace(device.Bssid) ? "unknown" : "access point " + device.Bssid;
    }
}
