using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Staging;

using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>The staging scenario's markdown: the appliance's latency per step report, the plan fetch, Active, wall time.</summary>
internal static class StagingReport
{
    private static readonly string[] KindOrder =
    [
        StagingStepKinds.Enroll, StagingStepKinds.ManagedConfig, StagingStepKinds.InstallApps, StagingStepKinds.Wifi,
        StagingStepKinds.PairPeripheral, StagingStepKinds.Settings, StagingStepKinds.Verify,
    ];

    public static string Render(StagingResult result, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(result);
        var options = result.Options;
        var devices = result.Devices;
        var text = Scenario("## Staging: a cart through a 7-step plan over pinned https", startedAt, "the appliance and the simulated devices share them")
            .AppendLine(Invariant($"- {options.StagingDevices} devices at once, each: enroll, GET /api/v1/staging/plan, then per step a check-in reporting it running and one reporting it succeeded (status.staging), the first with the status the group's blueprint requires"))
            .AppendLine(Invariant($"- simulated device work per step (uniform, seconds, ×{options.StepTimeScale:0.##}): {string.Join(", ", KindOrder.Select(k => Range(k, options.StepTimeScale)))}"))
            .AppendLine()
            .AppendLine("| call | calls | p50 ms | p99 ms | max ms |")
            .AppendLine("|---|--:|--:|--:|--:|");
        text.AppendLine(Row("enroll", devices.Where(d => d.EnrollTicks is not null).Select(d => d.EnrollTicks!.Value)));
        text.AppendLine(Row("plan fetch", devices.Where(d => d.PlanFetchTicks is not null).Select(d => d.PlanFetchTicks!.Value)));
        foreach (var kind in KindOrder)
        {
            text.AppendLine(Row($"check-in: {kind} running", Reports(devices, kind, StagingStepStates.Running)));
            text.AppendLine(Row($"check-in: {kind} succeeded", Reports(devices, kind, StagingStepStates.Succeeded)));
        }

        text.AppendLine(Row("every step report", devices.SelectMany(d => d.Reports).Select(r => r.Ticks)));
        var active = devices.Where(d => d.ReportToActiveTicks is not null).ToList();
        var sameCheckin = active.Count(d => d.ActiveOnLastReport);
        text.AppendLine(Row("last report sent → seen Active", active.Select(d => d.ReportToActiveTicks!.Value)));

        var simulated = devices.Select(d => d.SimulatedSeconds).ToList();
        var longest = simulated.Count == 0 ? 0 : simulated.Max();
        var wall = result.Wall.TotalSeconds;
        text.AppendLine()
            .AppendLine(Invariant($"- Active: {active.Count} of {devices.Count} devices; {sameCheckin} of them already Active when their last step report was answered (the same check-in)"))
            .AppendLine(Invariant($"- wall time for the batch: {wall:0.0} s; simulated step time per device: mean {(simulated.Count == 0 ? 0 : simulated.Average()):0.0} s, longest {longest:0.0} s, sum over the cart {simulated.Sum():0} s"))
            .AppendLine(Invariant($"- wall time beyond the longest device's simulated work: {wall - longest:0.00} s (enrollment, plan fetch, {devices.Sum(d => d.Reports.Count)} step reports, waiting for Active)"))
            .AppendLine(Invariant($"- appliance CPU over the batch: {result.ApplianceCpuSeconds:0.00} s"));
        text.AppendTargetsTable()
            .AppendLine(Invariant($"| devices Active | {active.Count} | {devices.Count} | {Verdict(active.Count == devices.Count)} |"))
            .AppendLine(Invariant($"| Active on the last step's check-in | {sameCheckin} | {devices.Count} | {Verdict(sameCheckin == devices.Count)} |"))
            .AppendLine(Invariant($"| errors | {result.Errors} | 0 | {Verdict(result.Errors == 0)} |"));
        return text.ToString();
    }

    private static IEnumerable<long> Reports(IEnumerable<StagedDevice> devices, string kind, string state) =>
        devices.SelectMany(d => d.Reports).Where(r => string.Equals(r.Kind, kind, StringComparison.Ordinal) && string.Equals(r.State, state, StringComparison.Ordinal)).Select(r => r.Ticks);

    private static string Row(string call, IEnumerable<long> ticks)
    {
        var sorted = ticks.Order().ToArray();
        var max = sorted.Length == 0 ? double.NaN : sorted[^1] * 1000.0 / Stopwatch.Frequency;
        return Invariant($"| {call} | {sorted.Length} | {NearestRank.Ms(sorted, 0.50):0.0} | {NearestRank.Ms(sorted, 0.99):0.0} | {max:0.0} |");
    }

    private static string Range(string kind, double scale)
    {
        var (min, max) = StagingRun.StepSeconds[kind];
        return min.Equals(max) ? Invariant($"{kind} {min * scale:0.##}") : Invariant($"{kind} {min * scale:0.##}–{max * scale:0.##}");
    }
}
