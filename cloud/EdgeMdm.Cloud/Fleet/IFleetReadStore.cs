namespace EdgeMdm.Cloud.Fleet;

/// <summary>Read-only views of the fleet as the tenant's sites reported it.</summary>
public interface IFleetReadStore
{
    /// <summary>Devices of one site of the tenant, or of all its sites when <paramref name="siteId"/> is null; ordered by site, then device.</summary>
    Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(string tenantId, string? siteId = null, CancellationToken cancellationToken = default);

    /// <summary>A device's lifecycle transitions, in the site's sequence order (empty for a site of another tenant).</summary>
    Task<IReadOnlyList<TransitionRecord>> ListTransitionsAsync(string tenantId, string siteId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The latest lifecycle transitions of the devices of one site of the tenant, or of all its sites when
    /// <paramref name="siteId"/> is null: newest first (by when they happened), at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<SiteTransitionRecord>> ListRecentTransitionsAsync(string tenantId, string? siteId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every device with this id across the tenant's sites (more than one when two sites use the same id), ordered by
    /// site; when no device has this id, every device with this serial (more than one when the serial is known at
    /// several sites). Central IT addresses a device by either, as the site CLI does.
    /// </summary>
    Task<IReadOnlyList<DeviceRecord>> FindDeviceAsync(string tenantId, string deviceIdOrSerial, CancellationToken cancellationToken = default);

    /// <summary>The devices of a group that are not retired, of one site of the tenant or all its sites; ordered by site, then device.</summary>
    Task<IReadOnlyList<DeviceRecord>> ListGroupAsync(string tenantId, string group, string? siteId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Per site of the tenant: how many devices (retired ones left out) and how many are compliant, non-compliant, unknown
    /// or stale at <paramref name="now"/> (<see cref="Domain.Drift.ComplianceClassifier"/>; silent longer than
    /// <paramref name="staleAfter"/> is stale).
    /// </summary>
    Task<IReadOnlyList<SiteCompliance>> ComplianceAsync(string tenantId, DateTimeOffset now, TimeSpan staleAfter, CancellationToken cancellationToken = default);
}

/// <summary>
/// A device as its site last reported it. <c>Findings</c> is the count of <see cref="DriftFindings"/>;
/// <see cref="EnrolledAt"/> is when it last (re)enrolled (null for a device the hub heard of before it kept that).
/// </summary>
public sealed record DeviceRecord(
    string SiteId, string DeviceId, string Serial, string Model, string Manufacturer, string OsVersion,
    string AgentVersion, string Group, string State, string StatusJson, bool Compliant, int Findings,
    DateTimeOffset? LastCheckin,
    string? Assignment = null)
{
    public DateTimeOffset? EnrolledAt { get; init; }

    /// <summary>The findings as stored (a JSON array); text, so that two records of the same device are equal.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string FindingsJson { get; init; } = "[]";

    /// <summary>What its last report was judged to differ in from its blueprint, as the site judged it.</summary>
    public IReadOnlyList<DeviceFinding> DriftFindings => SqlFleetReadStore.Findings(FindingsJson);

    /// <summary>Whether it reported anything since its (re)enrollment.</summary>
    public bool Reported => Domain.Drift.ComplianceClassifier.HasReported(StatusJson);

    /// <summary>compliant, non-compliant, unknown or stale at the time of the read; set by the REST API, null from the store.</summary>
    public string? Compliance { get; init; }

    /// <summary>The app version that matters (<see cref="Domain.Drift.KeyApp"/>); set by the REST API, null from the store or without one.</summary>
    public Domain.Drift.KeyAppVersion? KeyApp { get; init; }

    /// <summary>Dock state (<see cref="Domain.Drift.DeviceStatusText.Dock"/>): <c>C1/3</c>, <c>docked</c>, <c>charging</c>, <c>-</c>, or "" unknown; set by the REST API.</summary>
    public string? Dock { get; init; }

    /// <summary>Battery charge level, 0–100 %, as last reported; set by the REST API.</summary>
    public int? BatteryLevel { get; init; }

    /// <summary>What <see cref="Domain.Drift.ComplianceClassifier"/> needs of it.</summary>
    public Domain.Drift.DeviceCompliance ComplianceInput() => new(Reported, Compliant, EnrolledAt, LastCheckin);
}

/// <summary>One drift finding as the site reported it: item, expected, actual, severity (Minor, Major, Critical).</summary>
public sealed record DeviceFinding(string Item, string Expected, string Actual, string Severity);

public sealed record TransitionRecord(ulong Sequence, string FromState, string ToState, string Actor, string Reason, DateTimeOffset At);

/// <summary>A lifecycle transition with the site and device it happened to.</summary>
public sealed record SiteTransitionRecord(string SiteId, string DeviceId, TransitionRecord Transition);

public sealed record SiteCompliance(string SiteId, int Devices, int Compliant, int NonCompliant = 0, int Unknown = 0, int Stale = 0);
