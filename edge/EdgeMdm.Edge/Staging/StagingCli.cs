using System.CommandLine;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Text;
using EdgeMdm.Edge.Cli;
using EdgeMdm.Edge.Commands;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Staging.Plans;
using EdgeMdm.Edge.Staging.Progress;

namespace EdgeMdm.Edge.Staging;

/// <summary><c>edgemdm-edge staging status|retry|plans</c>.</summary>
public static class StagingCli
{
    /// <summary>The command a device takes to run a step of its plan again (parameter <c>step</c>: one step; absent: every failed one).</summary>
    public const string RetryCommand = EdgeMdm.Contracts.Device.DeviceCommandTypes.RetryStagingStep;

    public static Command Staging(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return new Command("staging", "staging devices at the site: batches of enrollment codes, plans, each device's progress through its plan")
        {
            Batches.BatchesCli.Batch(commands), Status(commands), Retry(commands), Plans(commands),
        };
    }

    private static Command Status(OperatorCommands commands)
    {
        var batch = new Argument<string?>("batch") { Description = "only the devices this staging batch enrolled", Arity = ArgumentArity.ZeroOrOne };
        var group = new Option<string>("--group") { Description = "only devices of this group" };
        var device = new Option<string>("--device") { Description = "only this device (id or serial)" };
        return commands.Create("status", "per device: done, in progress at step X, or stuck at step X with the reason; then a summary line", [batch, group, device], cli =>
        {
            var report = BatchReport(cli, cli.Result.GetValue(batch), cli.Result.GetValue(group), cli.Result.GetValue(device));
            return cli.Print(report, () =>
            {
                Table.Write(
                    ["DEVICE", "SERIAL", "GROUP", "PLAN", "STATUS", "STEP", "DONE", "ELAPSED", "REASON"],
                    report.Devices.Select(d => new[]
                    {
                        d.DeviceId, d.Serial, d.Group, d.Plan ?? "-", d.Outcome, d.CurrentStep ?? "-",
                        $"{CliText.Number(d.StepsDone)}/{CliText.Number(d.StepsTotal)}", d.Elapsed is { } e ? DurationText.Format(e) : "-", d.Reason ?? "",
                    }));
                var waiting = report.Batch is { } b ? $", {CliText.Number(b.Count - b.Enrolled)} not enrolled yet" : "";
                var of = report.Batch is { } ofBatch ? $"batch {ofBatch.Id} ({ofBatch.Group}, {CliText.Number(ofBatch.Enrolled)} of {CliText.Number(ofBatch.Count)} enrolled): " : "";
                Console.WriteLine($"{of}{CliText.Number(report.Done)} done, {CliText.Number(report.InProgress)} in progress, {CliText.Number(report.Stuck)} stuck{waiting}; elapsed {(report.Elapsed is { } all ? DurationText.Format(all) : "-")}");
            });
        });
    }

    /// <summary>
    /// With a batch, the status of its members, and the batch's elapsed time counted from its creation (how long the cart
    /// has been at it); without, every device the filters leave.
    /// </summary>
    private static StagingStatusReport BatchReport(OperatorContext cli, string? batchId, string? group, string? device)
    {
        if (batchId is null)
            return Report(cli, group, device, deviceIds: null);
        var batches = cli.Get<Batches.IStagingBatches>();
        var batch = batches.Find(batchId) ?? throw new CliException($"no staging batch '{batchId}' (staging batch list shows them)");
        var members = batches.MembersOf(batch.Id).Select(m => m.DeviceId).ToList();
        var report = Report(cli, group, device, members);
        // A batch whose every device is done stopped the clock when its last device finished.
        var finishedAt = report.Done == batch.Count && report.Devices.Count == batch.Count ? report.Devices.Max(d => d.StartedAt + d.Elapsed) : null;
        return report with { Batch = batch, Elapsed = (finishedAt ?? DateTimeOffset.UtcNow) - batch.CreatedAt };
    }

    /// <summary>
    /// The status of the devices the filters leave: not retired, in Staging or with a step reported. <paramref name="deviceIds"/>
    /// narrows to a set of devices (a batch's members) before the other filters.
    /// </summary>
    public static StagingStatusReport Report(OperatorContext cli, string? group, string? device, IReadOnlyCollection<string>? deviceIds)
    {
        ArgumentNullException.ThrowIfNull(cli);
        var progress = cli.Get<IStagingProgressQueries>();
        var rows = progress.Steps(deviceIds);
        var reported = rows.Select(r => r.DeviceId).ToHashSet(StringComparer.Ordinal);
        var wanted = deviceIds is null ? null : new HashSet<string>(deviceIds, StringComparer.Ordinal);
        DeviceRecord? only = device is null ? null : cli.Get<IDeviceQueries>().Find(device) ?? throw new CliException($"no device '{device}'");
        var devices = cli.Get<IDeviceQueries>().NotRetired()
            .Where(d => d.State == DeviceState.Staging || reported.Contains(d.Id))
            .Where(d => wanted is null || wanted.Contains(d.Id))
            .Where(d => group is null || string.Equals(d.Group, group, StringComparison.Ordinal))
            .Where(d => only is null || string.Equals(d.Id, only.Id, StringComparison.Ordinal))
            .OrderBy(d => d.Serial, StringComparer.Ordinal)
            .ToList();
        var planSteps = cli.Get<IStagingPlans>().List().ToDictionary(p => p.Name, p => p.Steps.Count, StringComparer.Ordinal);
        return StagingStatus.Of(devices, rows, planSteps, DateTimeOffset.UtcNow);
    }

    private static Command Retry(OperatorCommands commands)
    {
        var device = new Argument<string>("device") { Description = "device id or serial" };
        var step = new Option<string>("--step") { Description = "the step to run again (default: every failed step)" };
        return commands.Create("retry", $"ask a device to run a failed step again: queues a {RetryCommand} command and wakes the device; prints the command id", [device, step], async cli =>
        {
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            if (cli.Result.GetValue(step) is { } stepId)
                parameters["step"] = stepId;
            var queued = OperatorCommands.Require(await cli.Get<ICommandStore>().QueueCommandAsync(
                cli.Result.GetValue(device)!, RetryCommand, parameters, expiresAt: null, OperatorCommands.Actor, DateTimeOffset.UtcNow));
            return cli.Print(queued, () => Console.WriteLine(queued.CommandId));
        });
    }

    private static Command Plans(OperatorCommands commands) =>
        commands.Create("plans", "the staging plans this site holds: names, hashes, steps (never a secret)", [], cli =>
        {
            var plans = cli.Get<IStagingPlans>().List();
            return cli.Print(plans, () => Table.Write(
                ["PLAN", "HASH", "UPDATED", "STEPS"],
                plans.Select(p => new[] { p.Name, p.ContentHash, CliText.Time(p.UpdatedAt), string.Join("; ", p.Steps) })));
        });
}
