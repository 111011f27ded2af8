using System.Text.Json;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Domain.Drift;

/// <summary>
/// Where a device stands, as every compliance view names it (site and hub alike):
/// <list type="table">
///   <item><term>compliant</term><description>heard from within the stale window, and its last report matches its blueprint.</description></item>
///   <item><term>non-compliant</term><description>heard from within the stale window, and its last report has findings.</description></item>
///   <item><term>unknown</term><description>heard from within the stale window (its (re)enrollment counts), but it has reported
///   nothing since its (re)enrollment: there is nothing to judge yet. A device enrolled two minutes ago is here.</description></item>
///   <item><term>stale</term><description>silent (no check-in, and no (re)enrollment) for longer than the stale window, or never
///   heard from at a known time: what it last reported, if anything, no longer says what the floor runs.</description></item>
/// </list>
/// The four are exclusive: every device is in exactly one.
/// </summary>
public enum ComplianceState
{
    Compliant,
    NonCompliant,
    Unknown,
    Stale,
}

/// <summary>What the classification needs to know of one device.</summary>
/// <param name="Reported">Whether the device reported any status item since its (re)enrollment (<see cref="ComplianceClassifier.HasReported(string)"/>).</param>
/// <param name="Compliant">The drift verdict of its last report (false when it reported nothing).</param>
/// <param name="EnrolledAt">When it last (re)enrolled; null when not known (a row older than the field).</param>
/// <param name="LastCheckinAt">Its last check-in, possibly from before a re-enrollment; null when it never checked in.</param>
public sealed record DeviceCompliance(bool Reported, bool Compliant, DateTimeOffset? EnrolledAt, DateTimeOffset? LastCheckinAt)
{
    /// <summary>The last time the device was heard from: its last check-in or its (re)enrollment, whichever is later.</summary>
    public DateTimeOffset? LastHeardAt => (EnrolledAt, LastCheckinAt) switch
    {
        ({ } enrolled, { } checkin) => enrolled > checkin ? enrolled : checkin,
        ({ } enrolled, null) => enrolled,
        (null, var checkin) => checkin,
    };
}

/// <summary>Compliant / non-compliant / unknown / stale (<see cref="ComplianceState"/>). Pure; the caller supplies the clock.</summary>
public static class ComplianceClassifier
{
    /// <summary>The stale window when none is configured: a device silent for a day no longer says what the floor runs.</summary>
    public static TimeSpan DefaultStaleAfter { get; } = TimeSpan.FromHours(24);

    /// <summary>Every state's name, in the order views list them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["compliant", "non-compliant", "unknown", "stale"];

    public static ComplianceState Classify(DeviceCompliance device, DateTimeOffset now, TimeSpan staleAfter)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.LastHeardAt is not { } heard || now - heard > staleAfter)
            return ComplianceState.Stale;
        if (!device.Reported)
            return ComplianceState.Unknown;
        return device.Compliant ? ComplianceState.Compliant : ComplianceState.NonCompliant;
    }

    /// <summary>The state's name as views and JSON show it: <c>compliant</c>, <c>non-compliant</c>, <c>unknown</c>, <c>stale</c>.</summary>
    public static string Name(ComplianceState state) => state switch
    {
        ComplianceState.Compliant => "compliant",
        ComplianceState.NonCompliant => "non-compliant",
        ComplianceState.Unknown => "unknown",
        _ => "stale",
    };

    /// <summary>Whether a status holds any item: an enrollment starts it as <c>{}</c> (site and hub alike).</summary>
    public static bool HasReported(DeviceStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.Apps is not null || status.Os is not null || status.Battery is not null || status.Storage is not null
            || status.Wifi is not null || status.Configurations is not null || status.Certificates is not null || status.Staging is not null
            || status.InstallFailures is not null;
    }

    /// <summary>
    /// <see cref="HasReported(DeviceStatus)"/> of a stored status document: a JSON object with at least one item that is
    /// not null. Empty or unreadable text has reported nothing.
    /// </summary>
    public static bool HasReported(string? statusJson)
    {
        if (string.IsNullOrWhiteSpace(statusJson) || string.Equals(statusJson.Trim(), "{}", StringComparison.Ordinal))
            return false;
        try
        {
            using var document = JsonDocument.Parse(statusJson);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.Null);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
