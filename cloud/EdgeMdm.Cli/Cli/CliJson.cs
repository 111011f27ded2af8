using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Cli.Hub;
using EdgeMdm.Cli.Reports;


namespace EdgeMdm.Cli;

// What `--json` prints. The CLI's own shapes, not the hub's answers passed through, so scripts keep working
// when the hub's answers gain or rename fields. Lists are JSON arrays.

public sealed record SiteAdded(string SiteId, string Credential);

/// <summary>A site; <c>Backlog</c>/<c>LagSeconds</c> null when the site has not reported them (shown as "-").</summary>
public sealed record SiteRow(
    string SiteId, string Name, DateTimeOffset? LastSyncAt, ulong? AppliedThrough, ulong? FeedHead,
    ulong? Backlog, long? LagSeconds, string? UplinkState);

/// <summary>
/// A device in a list. <c>Compliance</c>: compliant, non-compliant, unknown or stale (the hub's word, or classified here
/// with the default stale window when the hub does not say); <c>App</c>: the key app's version (see the README);
/// <c>Dock</c>: <c>C1/3</c>, <c>docked</c>, <c>charging</c>, <c>-</c>, or "" unknown.
/// </summary>
public sealed record DeviceRow(
    string SiteId, string DeviceId, string Serial, string Model, string Group, string State, bool? Compliant, int Findings,
    string OsVersion, DateTimeOffset? LastCheckinAt)
{
    public string Compliance { get; init; } = "";

    public DateTimeOffset? EnrolledAt { get; init; }

    public bool Reported { get; init; }

    public string App { get; init; } = "";

    public string Dock { get; init; } = "";

    public int? BatteryLevel { get; init; }

    public IReadOnlyList<HubFinding> DriftFindings { get; init; } = [];

    public static DeviceRow Of(HubDevice d, DateTimeOffset now) => Of(d, now, null);

    /// <param name="staleAfter">Classify here with this window (the report's <c>--stale</c>); null: the hub's word, or the default window.</param>
    public static DeviceRow Of(HubDevice d, DateTimeOffset now, TimeSpan? staleAfter)
    {
        ArgumentNullException.ThrowIfNull(d);
        var status = d.ReportedStatus();
        var input = new EdgeMdm.Domain.Drift.DeviceCompliance(EdgeMdm.Domain.Drift.ComplianceClassifier.HasReported(status), d.Compliant == true, d.EnrolledAt, d.LastSeen);
        var compliance = staleAfter is null && d.Compliance is { Length: > 0 } said
            ? said
            : EdgeMdm.Domain.Drift.ComplianceClassifier.Name(EdgeMdm.Domain.Drift.ComplianceClassifier.Classify(input, now, staleAfter ?? EdgeMdm.Domain.Drift.ComplianceClassifier.DefaultStaleAfter));
        return new(d.SiteId ?? "", d.Device, d.Serial ?? "", d.Model ?? "", d.Group ?? "", d.State ?? "", d.Compliant, d.FindingCount, d.OsVersion ?? "", d.LastSeen)
        {
            Compliance = compliance,
            EnrolledAt = d.EnrolledAt,
            Reported = input.Reported,
            App = d.KeyApp?.Text() ?? "",
            Dock = d.Dock ?? EdgeMdm.Domain.Drift.DeviceStatusText.Dock(status.Battery),
            BatteryLevel = status.Battery?.Level,
            DriftFindings = d.DriftFindings ?? [],
        };
    }
}

/// <summary><c>devices show</c>: the device's row, what it reports (labelled lines) and its lifecycle history.</summary>
public sealed record DeviceDetailRow(DeviceRow Device, IReadOnlyList<StatusLine> Reports, IReadOnlyList<HubTransition> History);

public sealed record StatusLine(string Label, string Text);

public sealed record CommandRow(
    string CommandId, string SiteId, string DeviceId, string Type, string Status, string Message,
    DateTimeOffset? CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? FinishedAt, string Reason = "");

public sealed record CommandSent(string CommandId);

public sealed record GroupCommandsSent(string Group, IReadOnlyList<string> CommandIds);

public sealed record TokenRow(string Token, string Group, long? Uses, DateTimeOffset? ExpiresAt);

public sealed record ChangeRow(string Change, string Group, IReadOnlyList<string> Details);

/// <summary>A staging plan's change: <c>Details</c> name fields, and say only "changed" of a secret.</summary>
public sealed record PlanChangeRow(string Change, string Name, IReadOnlyList<string> Details);

public sealed record ApplyResult(bool DryRun, IReadOnlyList<ChangeRow> Changes, IReadOnlyList<PlanChangeRow> StagingPlans);

/// <summary>An account; <c>Password</c> only when the hub generated it (shown this once).</summary>
public sealed record AccountRow(
    string UserName, DateTimeOffset? CreatedAt, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Password = null)
{
    /// <summary>The account's role at the hub (null when the hub did not say: one from before roles).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }

    /// <summary>A site operator's sites.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Sites { get; init; }
}

/// <summary><c>whoami</c>: the hub, and who the API token speaks for there.</summary>
public sealed record WhoAmIRow(string Server, string Tenant, string Name, string? Account, string Role, IReadOnlyList<string> Sites, DateTimeOffset? ExpiresAt);

/// <summary>A site user; <c>Password</c> only when the hub generated it (shown this once).</summary>
public sealed record SiteUserRow(
    string SiteId, string UserName, string Role, DateTimeOffset? UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Password = null);

/// <summary>A signed package manifest; <c>MinOsVersion</c> null means any OS.</summary>
public sealed record PackageRow(
    string Sha256, string PackageName, long? VersionCode, string VersionName, long? SizeBytes, string? MinOsVersion,
    DateTimeOffset? PublishedAt, string Signature, string KeyId)
{
    public static PackageRow Of(HubPackage p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new(p.Sha256 ?? "", p.PackageName ?? "", p.VersionCode, p.VersionName ?? "", p.SizeBytes, p.MinOsVersion, p.PublishedAt, p.Signature ?? "", p.KeyId ?? "");
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(CommandSent))]
[JsonSerializable(typeof(EdgeMdm.Cli.Hub.HubCommandQueued))]
[JsonSerializable(typeof(EdgeMdm.Cli.Hub.HubApproval))]
[JsonSerializable(typeof(List<EdgeMdm.Cli.Hub.HubApproval>))]
[JsonSerializable(typeof(SiteAdded))]
[JsonSerializable(typeof(List<SiteRow>))]
[JsonSerializable(typeof(List<DeviceRow>))]
[JsonSerializable(typeof(DeviceDetailRow))]
[JsonSerializable(typeof(CommandRow))]
[JsonSerializable(typeof(List<CommandRow>))]
[JsonSerializable(typeof(GroupCommandsSent))]
[JsonSerializable(typeof(TokenRow))]
[JsonSerializable(typeof(ApplyResult))]
[JsonSerializable(typeof(DriftReport))]
[JsonSerializable(typeof(AccountRow))]
[JsonSerializable(typeof(WhoAmIRow))]
[JsonSerializable(typeof(List<AccountRow>))]
[JsonSerializable(typeof(SiteUserRow))]
[JsonSerializable(typeof(List<SiteUserRow>))]
[JsonSerializable(typeof(PackageRow))]
[JsonSerializable(typeof(List<PackageRow>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(Custody.CustodyVerifyRow))]
[JsonSerializable(typeof(List<Custody.HubCustodyEvent>))]
internal sealed partial class CliJson : JsonSerializerContext;
