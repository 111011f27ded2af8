using System.Globalization;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Staging;
using EdgeMdm.Edge.Checkin;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Staging.Plans;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Staging.Progress;

/// <summary>Each device's progress through its plan, as an operator reads it.</summary>
public interface IStagingProgressQueries
{
    /// <summary>
    /// The stored step rows of the devices in <paramref name="deviceIds"/> (every device when null), by device then step
    /// order. The device filter is what a batch (a set of devices) narrows status to.
    /// </summary>
    IReadOnlyList<StagingStepRow> Steps(IReadOnlyCollection<string>? deviceIds = null);
}

/// <summary>One device's step as last reported.</summary>
public sealed record StagingStepRow(
    string DeviceId, int StepIndex, string StepId, string PlanName, string PlanHash, string Kind, string State, int Attempts,
    string? Error, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// Table <c>staging_step_progress</c>: the latest report of each device's steps. Answers the check-in's
/// <see cref="IStagingGate"/>: a step's state change is stored and written to the outbox (<c>StagingStepReported</c>)
/// in the check-in's unit, so the hub hears of each change once.
/// </summary>
internal sealed class StagingProgressStore(EdgeStorage storage, IStagingPlans plans) : IStagingGate, IStagingProgressQueries
{
    public StagingVerdict Record(UnitOfWork unit, DeviceRecord device, StagingProgress? reported, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(device);
        // The fleet's everyday check-in (not in Staging, no step reported) has nothing to record or decide here: it
        // skips the plan lookup, which reads the blueprints and decrypts the plan, on the database writer's thread.
        if (device.State != DeviceState.Staging && reported?.Steps is null)
            return new StagingVerdict(StagingGateState.NotStaging);
        if (plans.PlanNameOfGroup(device.Group) is null)
            return new StagingVerdict(StagingGateState.NoPlan);
        if (plans.PlanOfGroup(device.Group) is not { } plan)
            return new StagingVerdict(StagingGateState.Incomplete);

        var stored = StoredOf(unit, device.Id, plan);
        if (reported?.Steps is { } steps)
        {
            // Every report is checked before any is written: one bad step and nothing of the check-in is stored.
            if (Invalid(plan, reported, steps) is { } refusal)
                return new StagingVerdict(StagingGateState.Incomplete, refusal);
            foreach (var step in steps)
            {
                var index = plan.Steps.ToList().FindIndex(s => string.Equals(s.Id, step.StepId, StringComparison.Ordinal));
                var row = ToRow(device.Id, index, plan, reported.PlanHash ?? plan.ContentHash(), step, now);
                if (stored.TryGetValue(row.StepId, out var before) && SameState(before, row))
                    continue;
                Store(unit, row);
                stored[row.StepId] = row;
            }
        }

        return plan.Steps.All(s => stored.TryGetValue(s.Id, out var row) && string.Equals(row.State, StagingStepStates.Succeeded, StringComparison.Ordinal))
            ? new StagingVerdict(StagingGateState.Complete)
            : new StagingVerdict(StagingGateState.Incomplete);
    }

    public IReadOnlyList<StagingStepRow> Steps(IReadOnlyCollection<string>? deviceIds = null)
    {
        var rows = storage.Read(db => db.Query<ProgressRow>(ProgressRow.Select + " ORDER BY device_id, step_index"));
        var wanted = deviceIds is null ? null : new HashSet<string>(deviceIds, StringComparer.Ordinal);
        return rows.Where(r => wanted is null || wanted.Contains(r.DeviceId)).Select(r => r.ToRow()).ToList();
    }

    private static Refusal? Invalid(StagingPlan plan, StagingProgress reported, IReadOnlyList<StagingStepReport> steps)
    {
        if (reported.Plan is { } name && !string.Equals(name, plan.Name, StringComparison.Ordinal))
            return Unprocessable($"status.staging.plan: '{name}' is not the group's staging plan ('{plan.Name}')");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            var at = $"status.staging.steps[{i.ToString(CultureInfo.InvariantCulture)}]";
            var step = steps[i];
            if (step?.StepId is not { Length: > 0 } id)
                return Unprocessable($"{at}.stepId is required");
            if (plan.Step(id) is null)
                return Unprocessable($"{at}.stepId: step '{id}' is not in staging plan '{plan.Name}' (its steps: {string.Join(", ", plan.Steps.Select(s => s.Id))})");
            if (!seen.Add(id))
                return Unprocessable($"{at}.stepId: step '{id}' is reported twice");
            if (step.State is null || !StagingStepStates.All.Contains(step.State, StringComparer.Ordinal))
                return Unprocessable($"{at}.state must be one of {string.Join(", ", StagingStepStates.All)}");
            if (step.Attempts is < 0 or > 1000)
                return Unprocessable($"{at}.attempts must be between 0 and 1000");
            if (step.Error is { Length: > 1000 })
                return Unprocessable($"{at}.error must be at most 1000 characters");
        }

        return null;
    }

    private static Refusal Unprocessable(string detail) => new(RefusalKind.Unprocessable, "Staging report refused", detail);

    private static StagingStepRow ToRow(string deviceId, int index, StagingPlan plan, string planHash, StagingStepReport step, DateTimeOffset now) =>
        new(deviceId, index, step.StepId!, plan.Name, planHash, plan.Steps[index].Kind, step.State!, step.Attempts ?? 0,
            string.Equals(step.State, StagingStepStates.Failed, StringComparison.Ordinal) ? step.Error : null, step.StartedAt, step.FinishedAt, now);

    /// <summary>A state change is a new state, another try, or another reason: what the hub is told of.</summary>
    private static bool SameState(StagingStepRow a, StagingStepRow b) =>
        string.Equals(a.State, b.State, StringComparison.Ordinal) && a.Attempts == b.Attempts && string.Equals(a.Error, b.Error, StringComparison.Ordinal)
        && string.Equals(a.PlanHash, b.PlanHash, StringComparison.Ordinal);

    private static Dictionary<string, StagingStepRow> StoredOf(UnitOfWork unit, string deviceId, StagingPlan plan) =>
        unit.Db.Query<ProgressRow>(ProgressRow.Select + " WHERE device_id = ? AND plan_name = ?", deviceId, plan.Name)
            .Select(r => r.ToRow())
            .ToDictionary(r => r.StepId, StringComparer.Ordinal);

    private static void Store(UnitOfWork unit, StagingStepRow row)
    {
        unit.Db.Execute(
            """
            INSERT INTO staging_step_progress (device_id, step_id, step_index, plan_name, plan_hash, kind, state, attempts, error, started_at, finished_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (device_id, step_id) DO UPDATE SET step_index = excluded.step_index, plan_name = excluded.plan_name, plan_hash = excluded.plan_hash,
                kind = excluded.kind, state = excluded.state, attempts = excluded.attempts, error = excluded.error,
                started_at = excluded.started_at, finished_at = excluded.finished_at, updated_at = excluded.updated_at
            """,
            row.DeviceId, row.StepId, row.StepIndex, row.PlanName, row.PlanHash, row.Kind, row.State, row.Attempts, row.Error,
            row.StartedAt?.ToUnixTimeMilliseconds(), row.FinishedAt?.ToUnixTimeMilliseconds(), row.UpdatedAt.ToUnixTimeMilliseconds());
        Outbox.Append(unit, new SiteChange
        {
            AtUnixMs = row.UpdatedAt.ToUnixTimeMilliseconds(),
            DeviceId = row.DeviceId,
            StagingStepReported = new StagingStepReported
            {
                Plan = row.PlanName,
                PlanHash = row.PlanHash,
                StepId = row.StepId,
                Kind = row.Kind,
                State = row.State,
                Attempts = (uint)row.Attempts,
                Error = row.Error ?? "",
                StartedUnixMs = row.StartedAt?.ToUnixTimeMilliseconds() ?? 0,
                FinishedUnixMs = row.FinishedAt?.ToUnixTimeMilliseconds() ?? 0,
            },
        });
    }

    private sealed class ProgressRow
    {
        public const string Select =
            "SELECT device_id AS DeviceId, step_index AS StepIndex, step_id AS StepId, plan_name AS PlanName, plan_hash AS PlanHash, kind AS Kind, " +
            "state AS State, attempts AS Attempts, error AS Error, started_at AS StartedAt, finished_at AS FinishedAt, updated_at AS UpdatedAt FROM staging_step_progress";

        public string DeviceId { get; set; } = "";
        public int StepIndex { get; set; }
        public string StepId { get; set; } = "";
        public string PlanName { get; set; } = "";
        public string PlanHash { get; set; } = "";
        public string Kind { get; set; } = "";
        public string State { get; set; } = "";
        public int Attempts { get; set; }
        public string? Error { get; set; }
        public long? StartedAt { get; set; }
        public long? FinishedAt { get; set; }
        public long UpdatedAt { get; set; }

        public StagingStepRow ToRow() => new(
            DeviceId, StepIndex, StepId, PlanName, PlanHash, Kind, State, Attempts, Error,
            StartedAt is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : null,
            FinishedAt is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null,
            DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt));
    }
}
