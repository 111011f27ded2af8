namespace EdgeMdm.Cloud.Fleet;

/// <summary>Read-only views of the fleet as the tenant's sites reported it.</summary>
public interface IFleetReadStore
{
    /// <summary>Devices of one site of the tenant, or of all its sites when <paramref name="siteId"/> is null; ordered by site, then device.</summary>
    Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(string tenantId, string? siteId = null, CancellationToken cancellationToken = default);

    /// <summary>A device's lifecycle transitions, in the site's sequence order (empty for a site of another tenant).</summary>
    Task<IReadOnlyList<TransitionRecord>> ListTransitionsAsync(string tenantId, string siteId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>Every device with this id across the tenant's sites (more than one when two sites use the same id), ordered by site.</summary>
    Task<IReadOnlyList<DeviceRecord>> FindDeviceAsync(string tenantId, string deviceId, CancellationToken cancellationToken = default);

    /// <summary>The devices of a group that are not retired, of one site of the tenant or all its sites; ordered by site, then device.</summary>
    Task<IReadOnlyList<DeviceRecord>> ListGroupAsync(string tenantId, string group, string? siteId = null, CancellationToken cancellationToken = default);

    /// <summary>Per site of the tenant: how many devices, how many compliant.</summary>
    Task<IReadOnlyList<SiteCompliance>> ComplianceAsync(string tenantId, CancellationToken cancellationToken = default);
}

public sealed record DeviceRecord(
    string SiteId, string DeviceId, string Serial, string Model, string Manufacturer, string OsVersion,
    string AgentVersion, string Group, string State, string StatusJson, bool Compliant, int Findings,
    DateTimeOffset? LastCheckin,
    string? Assignment = null);

public sealed record TransitionRecord(ulong Sequence, string FromState, string ToState, string Actor, string Reason, DateTimeOffset At);

public sealed record SiteCompliance(string SiteId, int Devices, int Compliant);
