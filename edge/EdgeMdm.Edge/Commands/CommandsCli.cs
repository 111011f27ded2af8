using System.CommandLine;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Commands;

/// <summary><c>edgemdm-edge commands send|list</c>.</summary>
public static class CommandsCli
{
    public static Command Commands(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var device = new Option<string>("--device") { Description = "device id or serial" };
        var group = new Option<string>("--group") { Description = "every device of this group instead of one (prints one command id per device)" };
        var type = new Argument<string>("type") { Description = "lock, ring, reboot, refresh-status, clear-app-data…" };
        var parameters = new Option<string[]>("--param") { Description = "a command parameter, key=value (repeatable)", AllowMultipleArgumentsPerToken = false };
        var expires = new Option<string>("--expires") { Description = "do not deliver after this long, e.g. 2h" };
        var reason = new Option<string>("--reason") { Description = "why (kept with the command and in the audit trail); required for a wipe and for a lock of a group" };
        var send = commands.Create("send", "queue a command for a device (or a group); prints its id, or the approval request a large wipe waits for", [device, group, type, parameters, expires, reason], async cli =>
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in cli.Result.GetValue(parameters) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                    throw new CliException($"--param '{pair}' must be key=value", 2);
                values[pair[..equals]] = pair[(equals + 1)..];
            }

            TimeSpan? expiresIn = cli.Result.GetValue(expires) is { } text ? CliText.Duration(text, "--expires") : null;
            var (deviceId, groupName) = (cli.Result.GetValue(device), cli.Result.GetValue(group));
            if ((deviceId is null) == (groupName is null))
                throw new CliException("give either --device or --group", 2);
            var request = new Approvals.CommandRequest(deviceId, groupName, cli.Result.GetValue(type)!, values, expiresIn, cli.Result.GetValue(reason));
            var outcome = await cli.Get<Approvals.ICommandRequests>().RequestAsync(request, OperatorCommands.Actor, DateTimeOffset.UtcNow);
            var requested = OperatorCommands.Require(outcome);
            if (requested.Pending is { } pending)
            {
                return cli.Print(pending, () => Console.WriteLine(
                    $"{pending.CommandType} of {pending.Devices} devices waits for a second person's approval: request {pending.Id}, until {CliText.Time(pending.ExpiresAt)} " +
                    $"('{OperatorCommands.Program} approvals approve {pending.Id}', or the supervisor page's Approvals)"));
            }

            var queued = requested.Queued;
            if (queued.Count == 0)
                throw new CliException($"group '{groupName}' has no device that takes {cli.Result.GetValue(type)} commands");
            return cli.Print(queued, () => Console.WriteLine(string.Join('\n', queued.Select(c => c.CommandId))));
        });

        var listDevice = new Option<string>("--device") { Description = "only this device (id or serial)" };
        var list = commands.Create("list", "commands and their status", [listDevice], cli =>
        {
            var listed = cli.Get<ICommandStore>().ListCommands(cli.Result.GetValue(listDevice));
            return cli.Print(listed, () => Table.Write(
                ["COMMAND", "DEVICE", "TYPE", "STATUS", "CREATED", "RESULT"],
                listed.Select(c => new[] { c.CommandId, c.DeviceId, c.Type, c.Status, CliText.Time(c.CreatedAt), c.ResultMessage ?? "" })));
        });
        return new Command("commands", "commands to devices") { send, list };
    }
}
