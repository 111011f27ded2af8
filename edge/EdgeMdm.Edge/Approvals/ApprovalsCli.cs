using System.CommandLine;
using System.Globalization;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Approvals;

/// <summary><c>edgemdm-edge approvals list|approve</c>: the requests a second person must approve (a large wipe).</summary>
public static class ApprovalsCli
{
    public static Command Approvals(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var all = new Option<bool>("--all") { Description = "approved and expired requests too, not only those waiting" };
        var list = commands.Create("list", "requests waiting for a second person's approval, newest first", [all], cli =>
        {
            var listed = cli.Get<ICommandRequests>().List(pendingOnly: !cli.Result.GetValue(all), DateTimeOffset.UtcNow);
            return cli.Print(listed, () => Table.Write(
                ["REQUEST", "STATUS", "COMMAND", "DEVICES", "TARGET", "REQUESTED BY", "UNTIL", "APPROVED BY", "REASON"],
                listed.Select(a => new[]
                {
                    a.Id, a.Status, a.CommandType, a.Devices.ToString(CultureInfo.InvariantCulture), a.Target, a.RequestedBy, CliText.Time(a.ExpiresAt),
                    a.ApprovedBy ?? "", a.Reason,
                })));
        });

        var id = new Argument<string>("request") { Description = "the request's id, as 'commands send' or 'approvals list' printed it" };
        // The appliance's shell is its administrator's: an operator account here may order any action, so may approve
        // one; being a second person is what is checked (another operator account than the requester's).
        var approve = commands.Create("approve", "approve another person's request: its commands are queued now", [id], async cli =>
        {
            var approved = OperatorCommands.Require(await cli.Get<ICommandRequests>().ApproveAsync(
                cli.Result.GetValue(id)!, OperatorCommands.Actor, _ => true, DateTimeOffset.UtcNow));
            return cli.Print(approved, () => Console.WriteLine(
                $"request {approved.Id} approved: {approved.CommandIds.Count.ToString(CultureInfo.InvariantCulture)} {approved.CommandType} commands queued ({approved.Target}, requested by {approved.RequestedBy})"));
        });
        return new Command("approvals", "dangerous actions waiting for a second person") { list, approve };
    }
}
