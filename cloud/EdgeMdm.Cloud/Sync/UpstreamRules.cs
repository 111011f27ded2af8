using System.Globalization;
using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Lifecycle;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// What an upstream batch must be before the store sees any of it: every field of every change in range, so that
/// what the hub stores is what its reads can show (a time no <see cref="DateTimeOffset"/> holds once made
/// <c>GET /api/v1/devices</c> fail for the whole tenant). The first problem found refuses the whole batch, naming the
/// change's sequence and the field.
/// </summary>
/// <remarks>
/// A refused batch is sent again by its site until the site changes, so each limit is one a working appliance never
/// reaches: its device API takes texts of at most 256 characters and bodies of at most 64 KiB, and it writes times
/// from its clock. The limits leave room beyond those.
/// </remarks>
internal static class UpstreamRules
{
    /// <summary>Most changes in one upstream batch (ADR 0001).</summary>
    public const int MaxBatchChanges = SiteSyncService.MaxBatchChanges;

    /// <summary>The latest time a <see cref="DateTimeOffset"/> holds, in Unix milliseconds (9999-12-31).</summary>
    public const long MaxUnixMs = 253_402_300_799_999;

    /// <summary>Ids, names, versions, states, actors: what a device or an operator types or a program names.</summary>
    public const int MaxShortText = 1024;

    /// <summary>Messages, reasons, drift values, command parameter values.</summary>
    public const int MaxLongText = 16 * 1024;

    /// <summary>A device's whole merged status (device protocol v1 JSON).</summary>
    public const int MaxStatusJson = 1024 * 1024;

    /// <summary>Findings of one status, parameters of one command.</summary>
    public const int MaxItems = 1000;

    private static readonly HashSet<string> States = [.. Enum.GetNames<DeviceState>()];
    private static readonly HashSet<string> CustodyKinds = ["device", "battery"];

    /// <summary>Hand-offs in one subject's chain: far beyond any device's or battery's life.</summary>
    private const ulong MaxCustodyIndex = 1_000_000;

    private static readonly HashSet<string> Severities = [.. Enum.GetNames<Severity>()];
    private static readonly HashSet<string> ResultStatuses =
        [CommandStatuses.Delivered, CommandStatuses.Succeeded, CommandStatuses.Failed, CommandStatuses.Expired];

    /// <summary>The first thing wrong with the batch, or null when the store may apply it.</summary>
    public static string? Problem(UpstreamBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Changes.Count > MaxBatchChanges)
            return $"a batch may hold at most {MaxBatchChanges} changes, this one holds {batch.Changes.Count}";
        for (var i = 0; i < batch.Changes.Count; i++)
        {
            var change = batch.Changes[i];
            if (change.Sequence == 0)
                return $"change #{i + 1} of the batch has no sequence (sequences start at 1)";
            if (change.ChangeCase == SiteChange.ChangeOneofCase.None && !HasUnknownFields(change))
                return $"change with sequence {change.Sequence} has no payload";
            if (Problem(change) is { } problem)
                return $"change with sequence {change.Sequence}: {problem}";
        }

        return null;
    }

    private static string? Problem(SiteChange change)
    {
        var check = new Check();
        check.Time("at_unix_ms", change.AtUnixMs);
        // A kind newer than this hub (unknown fields) is skipped by the store whatever it holds.
        // A staging batch is the site's, not a device's: it alone goes without a device id.
        if (change.ChangeCase != SiteChange.ChangeOneofCase.None)
            check.Text("device_id", change.DeviceId, MaxShortText, required: change.ChangeCase is not (SiteChange.ChangeOneofCase.StagingBatchCreated or SiteChange.ChangeOneofCase.CustodyRecorded
                or SiteChange.ChangeOneofCase.AuditRecorded));
        switch (change.ChangeCase)
        {
            case SiteChange.ChangeOneofCase.Enrolled:
                Enrolled(check, change.Enrolled);
                break;
            case SiteChange.ChangeOneofCase.StagingBatchCreated:
                var b = change.StagingBatchCreated;
                check.Text("staging_batch_created.batch_id", b.BatchId, MaxShortText, required: true);
                check.Text("staging_batch_created.group", b.Group, MaxShortText, required: true);
                check.Text("staging_batch_created.plan", b.Plan, MaxShortText);
                check.Time("staging_batch_created.expires_unix_ms", b.ExpiresUnixMs);
                break;
            case SiteChange.ChangeOneofCase.Status:
                Status(check, change.Status);
                break;
            case SiteChange.ChangeOneofCase.CommandResult:
                var r = change.CommandResult;
                check.Text("command_result.command_id", r.CommandId, MaxShortText, required: true);
                check.OneOf("command_result.status", r.Status, ResultStatuses);
                check.Text("command_result.message", r.Message, MaxLongText);
                check.Time("command_result.finished_unix_ms", r.FinishedUnixMs);
                break;
            case SiteChange.ChangeOneofCase.Transitioned:
                Transitioned(check, change.Transitioned);
                break;
            case SiteChange.ChangeOneofCase.CommandQueued:
                CommandQueued(check, change.CommandQueued);
                break;
            case SiteChange.ChangeOneofCase.DeviceReassigned:
                Reassigned(check, change.DeviceReassigned);
                break;
            case SiteChange.ChangeOneofCase.CustodyRecorded:
                CustodyRecorded(check, change);
                break;
            case SiteChange.ChangeOneofCase.AuditRecorded:
                AuditRecorded(check, change.AuditRecorded);
                break;
        }

        return check.Problem;
    }

    private static void Enrolled(Check check, DeviceEnrolled e)
    {
        check.Text("enrolled.serial", e.Serial, MaxShortText);
        check.Text("enrolled.model", e.Model, MaxShortText);
        check.Text("enrolled.manufacturer", e.Manufacturer, MaxShortText);
        check.Text("enrolled.os_version", e.OsVersion, MaxShortText);
        check.Text("enrolled.agent_version", e.AgentVersion, MaxShortText);
        check.Text("enrolled.group", e.Group, MaxShortText);
        check.Text("enrolled.batch_id", e.BatchId, MaxShortText);
    }

    private static void Transitioned(Check check, DeviceTransitioned t)
    {
        // Empty for a new device.
        if (t.FromState.Length > 0)
            check.OneOf("transitioned.from_state", t.FromState, States);
        check.OneOf("transitioned.to_state", t.ToState, States);
        check.Text("transitioned.actor", t.Actor, MaxShortText);
        check.Text("transitioned.reason", t.Reason, MaxLongText);
    }

    private static void Status(Check check, StatusReported status)
    {
        check.Time("status.last_checkin_unix_ms", status.LastCheckinUnixMs);
        check.Text("status.declarations_token", status.DeclarationsToken, MaxShortText);
        check.Text("status.status_json", status.StatusJson, MaxStatusJson);
        check.JsonObject("status.status_json", status.StatusJson);
        check.Count("status.findings", status.Findings.Count);
        for (var i = 0; i < status.Findings.Count && check.Problem is null; i++)
        {
            var f = status.Findings[i];
            var at = $"status.findings[{i.ToString(CultureInfo.InvariantCulture)}]";
            check.Text(at + ".item", f.Item, MaxShortText);
            check.Text(at + ".expected", f.Expected, MaxLongText);
            check.Text(at + ".actual", f.Actual, MaxLongText);
            check.OneOf(at + ".severity", f.Severity, Severities);
        }
    }

    private static void Reassigned(Check check, DeviceReassigned a)
    {
        check.Text("device_reassigned.from_group", a.FromGroup, MaxShortText);
        check.Text("device_reassigned.to_group", a.ToGroup, MaxShortText, required: true);
        check.Text("device_reassigned.from_assignment", a.FromAssignment, MaxShortText);
        check.Text("device_reassigned.to_assignment", a.ToAssignment, MaxShortText);
        check.Text("device_reassigned.actor", a.Actor, MaxShortText);
        check.Text("device_reassigned.reason", a.Reason, MaxLongText);
        check.Text("device_reassigned.swap_id", a.SwapId, MaxShortText);
    }

    private static void CommandQueued(Check check, CommandQueuedAtSite queued)
    {
        check.Text("command_queued.command_id", queued.CommandId, MaxShortText, required: true);
        check.Text("command_queued.type", queued.Type, MaxShortText, required: true);
        check.Text("command_queued.created_by", queued.CreatedBy, MaxShortText);
        check.Time("command_queued.expires_unix_ms", queued.ExpiresUnixMs);
        check.Count("command_queued.parameters", queued.Parameters.Count);
        foreach (var (name, value) in queued.Parameters)
        {
            check.Text("command_queued.parameters key", name, MaxShortText);
            check.Text($"command_queued.parameters['{(name.Length > 64 ? name[..64] + "…" : name)}']", value, MaxLongText);
        }
    }

    /// <summary>
    /// A custody event is stored as it came and never rewritten, so what it must be is checked here: texts in range, hashes
    /// of the chain's form, the first event (index 0) with no previous hash and every later one with one, and a device's
    /// event under that device's id (a battery's under none).
    /// </summary>
    private static void CustodyRecorded(Check check, SiteChange change)
    {
        var c = change.CustodyRecorded;
        check.OneOf("custody_recorded.subject_kind", c.SubjectKind, CustodyKinds);
        check.Text("custody_recorded.subject", c.Subject, MaxShortText, required: true);
        check.Text("custody_recorded.from_party", c.FromParty, MaxShortText, required: true);
        check.Text("custody_recorded.to_party", c.ToParty, MaxShortText, required: true);
        check.Text("custody_recorded.actor", c.Actor, MaxShortText, required: true);
        check.Text("custody_recorded.place", c.Place, MaxShortText);
        check.Text("custody_recorded.note", c.Note, MaxLongText);
        check.Text("custody_recorded.erasure_method", c.ErasureMethod, MaxShortText);
        check.Text("custody_recorded.erasure_certificate", c.ErasureCertificate, MaxShortText);
        check.Time("custody_recorded.at_unix_ms", c.AtUnixMs);
        if (c.Index > MaxCustodyIndex)
            check.Fail($"custody_recorded.index {c.Index.ToString(CultureInfo.InvariantCulture)} is past {MaxCustodyIndex.ToString(CultureInfo.InvariantCulture)}");
        if (!Domain.Custody.CustodyVerifier.IsHash(c.Hash))
            check.Fail("custody_recorded.hash is not 64 lowercase hex digits (SHA-256)");
        if (c.Index == 0 ? c.PreviousHash.Length > 0 : !Domain.Custody.CustodyVerifier.IsHash(c.PreviousHash))
            check.Fail(c.Index == 0 ? "custody_recorded.previous_hash must be empty for the first event (index 0)" : "custody_recorded.previous_hash is not 64 lowercase hex digits (SHA-256)");
        var device = string.Equals(c.SubjectKind, "device", StringComparison.Ordinal);
        if (device ? !string.Equals(change.DeviceId, c.Subject, StringComparison.Ordinal) : change.DeviceId.Length > 0)
            check.Fail(device ? "custody_recorded.subject is not the change's device_id" : "a battery's custody_recorded has no device_id");
    }

    /// <summary>A site's audit record: hashes of the chain's form, bounded texts; the chain itself is verified on demand.</summary>
    private static void AuditRecorded(Check check, AuditRecorded a)
    {
        check.Text("audit_recorded.actor", a.Actor, MaxShortText, required: true);
        check.Text("audit_recorded.action", a.Action, MaxShortText, required: true);
        check.Text("audit_recorded.subject", a.Subject, MaxShortText);
        check.Text("audit_recorded.source", a.Source, MaxShortText);
        check.Text("audit_recorded.detail", a.Detail, MaxLongText);
        check.Time("audit_recorded.at_unix_ms", a.AtUnixMs);
        if (!Domain.Chains.ChainVerifier.IsHash(a.Hash))
            check.Fail("audit_recorded.hash is not 64 lowercase hex digits (SHA-256)");
        if (a.Index == 0 ? a.PreviousHash.Length > 0 : !Domain.Chains.ChainVerifier.IsHash(a.PreviousHash))
            check.Fail(a.Index == 0 ? "audit_recorded.previous_hash must be empty for the first record (index 0)" : "audit_recorded.previous_hash is not 64 lowercase hex digits (SHA-256)");
    }

    /// <summary>
    /// A change kind newer than this hub arrives as unknown fields, not as an empty change: it is let through so
    /// the store can skip it and the site's log keeps moving (see Fleet/SqlFleetProjection).
    /// </summary>
    private static bool HasUnknownFields(SiteChange change)
    {
        var rest = change.Clone();
        rest.Sequence = 0;
        rest.AtUnixMs = 0;
        rest.DeviceId = "";
        return rest.CalculateSize() > 0;
    }

    /// <summary>Keeps the first problem found; later checks change nothing once there is one.</summary>
    private sealed class Check
    {
        public string? Problem { get; private set; }

        /// <summary>Unix milliseconds from 0 (also "not set") to the latest a <see cref="DateTimeOffset"/> holds.</summary>
        public void Time(string field, long unixMs)
        {
            if (unixMs is < 0 or > MaxUnixMs)
                Fail($"{field} {unixMs.ToString(CultureInfo.InvariantCulture)} is not a time (0..{MaxUnixMs.ToString(CultureInfo.InvariantCulture)} ms since 1970)");
        }

        public void Text(string field, string value, int max, bool required = false)
        {
            if (required && string.IsNullOrWhiteSpace(value))
                Fail($"{field} is required");
            else if (value.Length > max)
                Fail($"{field} may be at most {max.ToString(CultureInfo.InvariantCulture)} characters, it has {value.Length.ToString(CultureInfo.InvariantCulture)}");
        }

        public void OneOf(string field, string value, HashSet<string> allowed)
        {
            if (!allowed.Contains(value))
                Fail($"{field} '{(value.Length > 64 ? value[..64] + "…" : value)}' is not one of {string.Join(", ", allowed.Order(StringComparer.Ordinal))}");
        }

        public void Count(string field, int count)
        {
            if (count > MaxItems)
                Fail($"{field} may hold at most {MaxItems.ToString(CultureInfo.InvariantCulture)} items, it holds {count.ToString(CultureInfo.InvariantCulture)}");
        }

        /// <summary>Empty (a site that has no status for the device) or a JSON object.</summary>
        public void JsonObject(string field, string json)
        {
            if (Problem is not null || json.Length == 0)
                return;
            try
            {
                using var document = JsonDocument.Parse(json);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    Fail($"{field} is JSON but not an object");
            }
            catch (JsonException exception)
            {
                Fail($"{field} is not JSON ({exception.Message})");
            }
        }

        public void Fail(string problem) => Problem ??= problem;
    }
}
