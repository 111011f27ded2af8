using System.CommandLine;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Alerts;

/// <summary><c>edgemdm-edge alerts [--json]</c> (the open alerts) and <c>alerts ack ID --note TEXT</c>.</summary>
public static class AlertsCli
{
    public static Command Alerts(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var id = new Argument<long>("id") { Description = "the alert's id, as 'alerts' lists it" };
        var note = new Option<string>("--note") { Description = "what is being done about it", Required = true };
        var ack = commands.Create("ack", "acknowledge an open alert with a note (it stays open until its condition ends)", [id, note], async cli =>
        {
            var text = cli.Result.GetValue(note)!;
            if (string.IsNullOrWhiteSpace(text) || text.Length > 1024)
                throw new CliException("--note must say something, in at most 1024 characters", 2);
            var alert = OperatorCommands.Require(await cli.Get<IAlerts>().AcknowledgeAsync(cli.Result.GetValue(id), OperatorCommands.Actor, text.Trim(), DateTimeOffset.UtcNow));
            return cli.Print(alert, () => Console.WriteLine($"alert {alert.Id} ({alert.Kind} {alert.Subject}) acknowledged by {alert.AcknowledgedBy}: {alert.Note}"));
        });
        var alerts = commands.Create("alerts", "the site's open alerts", [], cli =>
        {
            var open = cli.Get<IAlerts>().Open();
            return cli.Print(open, () =>
            {
                Table.Write(
                    ["ID", "KIND", "SUBJECT", "RAISED", "MESSAGE", "ACKNOWLEDGED"],
                    open.Select(a => new[]
                    {
                        a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Kind, a.Subject, CliText.Time(a.RaisedAt), a.Message,
                        a.AcknowledgedAt is { } at ? $"{CliText.Time(at)} by {a.AcknowledgedBy}: {a.Note}" : "-",
                    }));
                Console.WriteLine($"{open.Count} open alerts");
            });
        });
        alerts.Subcommands.Add(ack);
        return alerts;
    }
}
