using System.Text.Json;
using EdgeMdm.Cli.Hub;

namespace EdgeMdm.Cli.Devices;

/// <summary><c>commands send | show</c>: commands to devices, delivered by each device's site at its next check-in.</summary>
internal static class CommandsCommands
{
    public static Command Create(CliSession cli) => new("commands", "commands to devices, delivered through their site") { Send(cli), Show(cli) };

    /// <summary><c>approvals list | approve</c>: the commands that wait for a second person (a wipe of many devices).</summary>
    public static Command Approvals(CliSession cli)
    {
        var all = new Option<bool>("--all") { Description = "approved and expired requests too, not only those waiting" };
        var json = CliOptions.Json();
        var list = new Command("list", "requests waiting for a second person's approval, newest first") { all, json };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var listed = (await hub.ListApprovalsAsync(result.GetValue(all), cancellationToken)).ToList();
            return cli.Print(result, json, listed, CliJson.Default.ListHubApproval, () => TextTable.Write(
                cli.Output,
                ["REQUEST", "STATUS", "COMMAND", "DEVICES", "TARGET", "REQUESTED BY", "UNTIL", "APPROVED BY", "REASON"],
                listed.Select(a => new[] { a.ApprovalId, a.Status ?? "", a.Type ?? "", Number(a.Devices), a.Target ?? "", a.RequestedBy ?? "", Time(a.ExpiresAt), a.ApprovedBy ?? "", a.Reason ?? "" })));
        });

        var id = new Argument<string>("request") { Description = "the request's id, as 'commands send' or 'approvals list' printed it" };
        var approveJson = CliOptions.Json();
        var approve = new Command("approve", "approve another person's request: its commands are queued now") { id, approveJson };
        approve.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var approved = await hub.ApproveAsync(result.GetValue(id)!, cancellationToken);
            return cli.Print(result, approveJson, approved, CliJson.Default.HubApproval, () => cli.Output.WriteLine(
                $"request {approved.ApprovalId} approved: {Number(approved.CommandIds?.Count ?? 0)} {approved.Type} commands queued ({approved.Target}, requested by {approved.RequestedBy})"));
        });
        return new Command("approvals", "commands waiting for a second person's approval") { list, approve };
    }

    private static Command Send(CliSession cli)
    {
        var site = new Option<string>("--site") { Description = "the device's site (needed only when the hub does not know the device, or knows its id at several sites); with --group, only this site's devices" };
        var device = new Option<string>("--device") { Description = "device id or serial" };
        var group = new Option<string>("--group") { Description = "every device of this group the hub knows (not retired), across sites" };
        var type = new Argument<string>("type") { Description = "one the device agent knows: " + string.Join(", ", EdgeMdm.Contracts.Device.DeviceCommandTypes.All) + " (the hub refuses others)" };
        var parameters = new Option<string[]>("--param") { Description = "a command parameter, key=value (repeatable)", AllowMultipleArgumentsPerToken = false };
        var expires = new Option<string>("--expires") { Description = "do not deliver after this long, e.g. 2h (default: no expiry)" };
        var reason = new Option<string>("--reason") { Description = "why (kept with the command)" };
        var json = CliOptions.Json();
        var send = new Command(
            "send",
            "queue a command for a device (--device) or for every device of a group (--group); each device's site delivers it at its next check-in. " +
            "Prints the command id alone, or one id per line for a group.")
        {
            site, device, group, type, parameters, expires, reason, json,
        };
        send.SetAction(async (result, cancellationToken) =>
        {
            var (deviceId, groupName) = (NonEmpty(result.GetValue(device)), NonEmpty(result.GetValue(group)));
            if ((deviceId is null) == (groupName is null))
                throw new CliException("give exactly one of --device ID and --group G", 2);
            var values = CommandParameters(result.GetValue(parameters));
            long? expiresIn = result.GetValue(expires) is { } text ? Seconds(ParseDuration(text, "--expires")) : null;
            using var hub = cli.Connect(result);
            var command = new HubQueueCommand(NonEmpty(result.GetValue(site)), deviceId, result.GetValue(type)!, values, expiresIn, NonEmpty(result.GetValue(reason)), groupName);
            var queued = await hub.SendCommandAsync(command, cancellationToken);
            if (queued.ApprovalId is { } approval)
            {
                return cli.Print(result, json, queued, CliJson.Default.HubCommandQueued, () => cli.Output.WriteLine(
                    $"{command.Type} of {Number(queued.Devices ?? 0)} devices ({queued.Target}) waits for a second person's approval: request {approval}, " +
                    $"until {Time(queued.ExpiresAt)} (another person runs 'edgemdm approvals approve {approval}')"));
            }

            if (groupName is null)
                return cli.Print(result, json, new CommandSent(queued.Command), CliJson.Default.CommandSent, () => cli.Output.WriteLine(queued.Command));
            return cli.Print(result, json, new GroupCommandsSent(groupName, queued.Commands), CliJson.Default.GroupCommandsSent, () =>
            {
                foreach (var id in queued.Commands)
                    cli.Output.WriteLine(id);
            });
        });
        return send;
    }

    private static Command Show(CliSession cli)
    {
        var ids = new Argument<string[]>("id") { Description = "command ids, as 'commands send' printed them", Arity = ArgumentArity.OneOrMore };
        var json = CliOptions.Json();
        var show = new Command("show", "each command's status on its device: queued, delivered, succeeded, failed or expired") { ids, json };
        show.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var rows = new List<CommandRow>();
            foreach (var id in result.GetValue(ids)!)
            {
                var c = await hub.GetCommandAsync(id, cancellationToken);
                rows.Add(new CommandRow(c.Command, c.SiteId ?? "", c.DeviceId ?? "", c.Type ?? "", c.Status ?? "", c.Message ?? "", c.CreatedAt, c.ExpiresAt, c.FinishedAt, c.Reason ?? ""));
            }

            var output = cli.Output;
            if (result.GetValue(json))
            {
                // One id: the object (as before); several: an array.
                output.WriteLine(rows.Count == 1 ? JsonSerializer.Serialize(rows[0], CliJson.Default.CommandRow) : JsonSerializer.Serialize(rows, CliJson.Default.ListCommandRow));
                return 0;
            }

            TextTable.Write(
                output,
                ["COMMAND", "SITE", "DEVICE", "TYPE", "STATUS", "EXPIRES", "FINISHED", "RESULT"],
                rows.Select(r => new[] { r.CommandId, r.SiteId, r.DeviceId, r.Type, r.Status, Time(r.ExpiresAt), Time(r.FinishedAt), r.Message }));
            if (rows.Count > 1)
            {
                var counts = rows.GroupBy(r => r.Status, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{Number(g.Count())} {g.Key}");
                output.WriteLine($"{Number(rows.Count)} devices: {string.Join(", ", counts)}");
            }

            if (rows.Select(r => r.Reason).Distinct(StringComparer.Ordinal).SingleOrDefault() is { Length: > 0 } why)
                output.WriteLine($"reason: {why}");
            return 0;
        });
        return show;
    }

    private static Dictionary<string, string> CommandParameters(string[]? pairs)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                throw new CliException($"--param '{pair}' must be key=value", 2);
            values[pair[..equals]] = pair[(equals + 1)..];
        }

        return values;
    }

    private static long Seconds(TimeSpan duration) => Math.Max(1, (long)Math.Ceiling(duration.TotalSeconds));
}
