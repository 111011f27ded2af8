using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cli.Hub;

// The hub's REST bodies as the CLI reads them. Answer fields are nullable and a few have two spellings
// (siteId|id): the first versions of the hub's API may differ in details, and a missing field is shown as
// "-" rather than failing the whole command.

public sealed record HubCreateSite(string Name);

public sealed record HubSiteCreated(string? SiteId, string? Id, string? Credential)
{
    public string Site => SiteId ?? Id ?? "";
}

/// <summary>A site; <c>Backlog</c>, <c>LagSeconds</c> and <c>UplinkState</c> are null until the site reported its sync (or from an older hub).</summary>
public sealed record HubSite(
    string? SiteId, string? Id, string? Name, DateTimeOffset? LastSyncAt, ulong? AppliedThrough, ulong? FeedHead,
    ulong? Backlog = null, long? LagSeconds = null, string? UplinkState = null)
{
    public string Site => SiteId ?? Id ?? "";
}

public sealed record HubIssueToken(string Group, int Uses, long ExpiresInSeconds);

public sealed record HubTokenIssued(string? Token, string? Group, long? Uses, DateTimeOffset? ExpiresAt);

/// <summary>
/// A command to queue: for one device (<c>DeviceId</c>; <c>SiteId</c> optional, the hub finds the device's site)
/// or for every device of a <c>Group</c> (<c>SiteId</c> optional, to narrow). Nulls are left out of the body.
/// </summary>
public sealed record HubQueueCommand(
    string? SiteId,
    string? DeviceId,
    string Type,
    IReadOnlyDictionary<string, string> Parameters,
    long? ExpiresInSeconds,
    string? Reason,
    string? Group = null);

/// <summary>Answer to a queued command: <c>commandId</c> for one device, <c>commandIds</c> for a group.</summary>
public sealed record HubCommandQueued(string? CommandId, string? Id, IReadOnlyList<string>? CommandIds = null)
{
    public string Command => CommandId ?? Id ?? "";

    /// <summary>Every id the hub returned, one device's or a group's.</summary>
    public IReadOnlyList<string> Commands => CommandIds ?? (Command.Length > 0 ? [Command] : []);

    /// <summary>Set when the hub held the command for a second person's approval (202) instead of queuing it.</summary>
    public string? ApprovalId { get; init; }

    public int? Devices { get; init; }

    public string? Target { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>A request waiting for (or given) a second person's approval, as <c>GET /api/v1/approvals</c> answers it.</summary>
public sealed record HubApproval(
    string ApprovalId, string? Action, string? Type, string? Target, int Devices, IReadOnlyList<string>? Sites, string? Reason, string? RequestedBy,
    DateTimeOffset? RequestedAt, DateTimeOffset? ExpiresAt, string? Status, string? ApprovedBy, DateTimeOffset? ApprovedAt, IReadOnlyList<string>? CommandIds);

public sealed record HubCommand(
    string? CommandId,
    string? Id,
    string? SiteId,
    string? DeviceId,
    string? Type,
    string? Status,
    string? Message,
    string? CreatedBy,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? FinishedAt,
    string? Reason = null)
{
    public string Command => CommandId ?? Id ?? "";
}

/// <summary>
/// A device as the hub reports it. <c>Findings</c> is a count in the hub's first version and may become a
/// list; both are read. The fields after <c>Status</c> came with issue 26 (null from an older hub):
/// <c>Compliance</c> (compliant, non-compliant, unknown, stale), when it (re)enrolled, whether it reported since,
/// the named findings, the key app's version and the dock state.
/// </summary>
public sealed record HubDevice(
    string? SiteId,
    string? DeviceId,
    string? Id,
    string? Serial,
    string? Model,
    string? Manufacturer,
    string? OsVersion,
    string? Group,
    string? State,
    bool? Compliant,
    JsonElement? Findings,
    DateTimeOffset? LastCheckin,
    DateTimeOffset? LastCheckinAt,
    JsonElement? StatusJson,
    JsonElement? Status,
    string? Compliance = null,
    DateTimeOffset? EnrolledAt = null,
    IReadOnlyList<HubFinding>? DriftFindings = null,
    EdgeMdm.Domain.Drift.KeyAppVersion? KeyApp = null,
    string? Dock = null)
{
    public string Device => DeviceId ?? Id ?? "";


    public DateTimeOffset? LastSeen => LastCheckinAt ?? LastCheckin;

    /// <summary>
    /// The apps the device last reported: <c>apps</c> of its status, which the hub sends as a JSON string
    /// (<c>statusJson</c>) or an object (<c>status</c>). Empty when absent or unreadable.
    /// </summary>
    public IReadOnlyList<HubInstalledApp> InstalledApps()
    {
        try
        {
            var status = StatusJson is { ValueKind: JsonValueKind.String } text
                ? JsonSerializer.Deserialize(text.GetString() ?? "null", HubJson.Default.HubDeviceStatus)
                : (StatusJson ?? Status) is { ValueKind: JsonValueKind.Object } element
                    ? element.Deserialize(HubJson.Default.HubDeviceStatus)
                    : null;
            return status?.Apps?.Where(a => !string.IsNullOrEmpty(a.PackageName)).ToList() ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public int FindingCount => Findings switch
    {
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out var count) => count,
        { ValueKind: JsonValueKind.Array } a => a.GetArrayLength(),
        _ => 0,
    };
}

public sealed record HubDeviceStatus(IReadOnlyList<HubInstalledApp>? Apps);

/// <summary>What a <see cref="HubDevice"/> reports, read from its status.</summary>
public static class HubDeviceReports
{
    /// <summary>
    /// The whole status the device last reported (<c>statusJson</c> as a string, or <c>status</c> as an object); an
    /// empty one when absent or unreadable.
    /// </summary>
    public static EdgeMdm.Contracts.Device.DeviceStatus ReportedStatus(this HubDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        try
        {
            var status = device.StatusJson is { ValueKind: JsonValueKind.String } text
                ? JsonSerializer.Deserialize(text.GetString() ?? "null", EdgeMdm.Contracts.Device.DeviceProtocolJson.Default.DeviceStatus)
                : (device.StatusJson ?? device.Status) is { ValueKind: JsonValueKind.Object } element
                    ? element.Deserialize(EdgeMdm.Contracts.Device.DeviceProtocolJson.Default.DeviceStatus)
                    : null;
            return status ?? new EdgeMdm.Contracts.Device.DeviceStatus();
        }
        catch (JsonException)
        {
            return new EdgeMdm.Contracts.Device.DeviceStatus();
        }
    }
}

/// <summary>A drift finding as the hub names it.</summary>
public sealed record HubFinding(string? Item, string? Expected, string? Actual, string? Severity)
{
    /// <summary><c>app:com.acme.scan: 1.0 (100), want 1.2 (120) (Major)</c>.</summary>
    public string Text() => $"{Item}: {Actual}, want {Expected} ({Severity})";
}

/// <summary>One device with its lifecycle history, GET /api/v1/devices/{device}.</summary>
public sealed record HubDeviceDetail(HubDevice? Device, IReadOnlyList<HubTransition>? History);

public sealed record HubTransition(ulong? Sequence, string? FromState, string? ToState, string? Actor, string? Reason, DateTimeOffset? At);

public sealed record HubInstalledApp(string? PackageName, long? VersionCode, string? VersionName);

/// <summary>POST /login; a null <c>Tenant</c> is left out (the hub's default tenant).</summary>
public sealed record HubLogin(string User, string Password, string? Tenant);

public sealed record HubSignedIn(string? Token, string? Tenant, string? User, DateTimeOffset? ExpiresAt, string? Role = null, IReadOnlyList<string>? Sites = null);

/// <summary>GET /me: who the API token speaks for, its role and site scope, and until when it is valid.</summary>
public sealed record HubCaller(string? Tenant, string? Name, string? Account, string? Role, IReadOnlyList<string>? Sites, DateTimeOffset? ExpiresAt);

/// <summary>
/// A new account; a null <c>Password</c> is left out, so the hub generates one; a null <c>Role</c> too (the hub makes a
/// viewer). <c>Sites</c>: a site operator's scope.
/// </summary>
public sealed record HubAddAccount(string UserName, string? Password, string? Role = null, IReadOnlyList<string>? Sites = null);

/// <summary>PATCH /accounts/{name}: the account's new role, and its sites when a site operator.</summary>
public sealed record HubAccountRole(string Role, IReadOnlyList<string>? Sites);

/// <summary><c>Password</c>: the one the hub generated, shown this once; null when the CLI sent it.</summary>
public sealed record HubAccountAdded(string? UserName, string? Password, string? Role = null, IReadOnlyList<string>? Sites = null);

public sealed record HubAccount(string? UserName, DateTimeOffset? CreatedAt, string? Role = null, IReadOnlyList<string>? Sites = null);

public sealed record HubSiteUserRequest(string UserName, string Role, string? Password);

/// <summary><c>Password</c>: the one the hub generated, shown this once; null when the CLI sent it.</summary>
public sealed record HubSiteUserSaved(string? SiteId, string? UserName, string? Role, bool? Created, string? Password);

public sealed record HubSiteUser(string? UserName, string? Role, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt);

/// <summary>RFC 9457 problem details; <c>errors</c> (field → messages) comes with 400.</summary>
public sealed record HubProblem(string? Title, string? Detail, int? Status, IReadOnlyDictionary<string, IReadOnlyList<string>>? Errors);

/// <summary>
/// JSON for the hub's API: camelCase out, case-insensitive in (web defaults), unknown fields ignored, nulls
/// left out when writing.
/// </summary>
/// <summary>A signed package manifest as the hub answers it; <c>MinOsVersion</c> null means any OS.</summary>
public sealed record HubPackage(
    string? Sha256, string? PackageName, long? VersionCode, string? VersionName, long? SizeBytes, string? MinOsVersion,
    DateTimeOffset? PublishedAt, string? Signature, string? KeyId);

/// <summary>A group's current rollout of a package as the hub reports it (GET /api/v1/rollouts).</summary>
public sealed record HubRollout(
    string? RolloutId, string? Group, string? PackageName, long? FromVersionCode, string? FromVersionName, long? ToVersionCode,
    string? ToVersionName, string? MinOsVersion, DateTimeOffset? StartedAt, IReadOnlyList<HubRolloutSite>? Sites, HubRolloutCounts? Total,
    IReadOnlyList<HubStraggler>? Stragglers, bool Finished = false, string? Status = null);

/// <summary>
/// One site's part of a rollout; <c>Halted</c> is the reason, null while it is not halted; <c>Status</c> the line the hub
/// writes ("finished", "halted: …", "wave 1 (10%): waiting on 1 offline device, 14 min …"); <c>Waiting</c> the same as data.
/// </summary>
public sealed record HubRolloutSite(
    string? SiteId, HubRolloutCounts? Counts, IReadOnlyList<HubWave>? Waves, string? Halted, int OpenWaves = 0, bool Finished = false,
    HubWaveWait? Waiting = null, string? Status = null);

/// <summary>What a held wave waits for (the hub's <c>waiting</c>); <c>Text</c> is the line.</summary>
public sealed record HubWaveWait(int Wave, string? Label, int Needed, int Counted, int Offline, int Pending, int Stragglers, long? TimeLimitInSeconds, string? Text);

public sealed record HubRolloutCounts(
    int Devices, int Installed, int Pending, int Failed, int Incompatible, int Offline, IReadOnlyDictionary<string, int>? FailedByReason);

/// <summary>A wave in a site: <c>State</c> closed, open or done.</summary>
public sealed record HubWave(int Wave, string? Label, string? State);

public sealed record HubStraggler(string? SiteId, string? DeviceId, string? Serial, string? State, string? Reason, DateTimeOffset? LastCheckIn);

/// <summary>A staging plan as the hub lists it (its redacted body is not read here).</summary>
public sealed record HubStagingPlan(string Name, string ContentHash);

public sealed record HubStagingPlanComparison(string Name, bool Exists, IReadOnlyList<string> Changes);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<HubStagingPlan>))]
[JsonSerializable(typeof(List<Custody.HubCustodyEvent>))]
[JsonSerializable(typeof(Custody.HubCustodyVerification))]
[JsonSerializable(typeof(HubStagingPlanComparison))]
[JsonSerializable(typeof(HubCreateSite))]
[JsonSerializable(typeof(HubSiteCreated))]
[JsonSerializable(typeof(List<HubSite>))]
[JsonSerializable(typeof(Blueprint))]
[JsonSerializable(typeof(List<Blueprint>))]
[JsonSerializable(typeof(HubIssueToken))]
[JsonSerializable(typeof(HubTokenIssued))]
[JsonSerializable(typeof(HubQueueCommand))]
[JsonSerializable(typeof(HubCommandQueued))]
[JsonSerializable(typeof(HubApproval))]
[JsonSerializable(typeof(List<HubApproval>))]
[JsonSerializable(typeof(HubCommand))]
[JsonSerializable(typeof(List<HubDevice>))]
[JsonSerializable(typeof(HubProblem))]
[JsonSerializable(typeof(HubLogin))]
[JsonSerializable(typeof(HubSignedIn))]
[JsonSerializable(typeof(HubCaller))]
[JsonSerializable(typeof(HubAccountRole))]
[JsonSerializable(typeof(HubAccount))]
[JsonSerializable(typeof(HubAddAccount))]
[JsonSerializable(typeof(HubAccountAdded))]
[JsonSerializable(typeof(List<HubAccount>))]
[JsonSerializable(typeof(HubSiteUserRequest))]
[JsonSerializable(typeof(HubSiteUserSaved))]
[JsonSerializable(typeof(List<HubSiteUser>))]
[JsonSerializable(typeof(HubDeviceStatus))]
[JsonSerializable(typeof(HubPackage))]
[JsonSerializable(typeof(List<HubPackage>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(List<HubRollout>))]
[JsonSerializable(typeof(HubDeviceDetail))]
internal sealed partial class HubJson : JsonSerializerContext;
