using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeMdm.Domain.Custody;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Custody;

/// <summary><c>edgemdm-edge custody record|show|export|verify</c>.</summary>
public static class CustodyCli
{
    public static Command Custody(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return new Command("custody", "chain of custody: every hand-off of a device or battery, hash-chained per subject")
        {
            Record(commands), Show(commands), Export(commands), Verify(commands),
        };
    }

    private static Command Record(OperatorCommands commands)
    {
        var subject = new Argument<string>("subject") { Description = "device id or serial; with --battery a battery pack's serial" };
        var from = new Option<string>("--from") { Description = "who hands it over (the site: 'site')", Required = true };
        var to = new Option<string>("--to") { Description = "who takes it ('courier', 'repair depot', 'site'...)", Required = true };
        var note = new Option<string>("--note") { Description = "what to keep with the event (a tracking number, a fault)" };
        var place = new Option<string>("--place") { Description = "where the hand-off happened" };
        var erasure = new Option<string>("--erasure") { Description = "METHOD:CERTIFICATE: the device's data was erased; decommissions (retires) it" };
        var battery = new Option<bool>("--battery") { Description = "the subject is a battery pack's serial, not a device" };
        return commands.Create("record", "record a hand-off; a device handed away is quarantined, one with --erasure retired", [subject, from, to, note, place, erasure, battery], async cli =>
        {
            var request = new CustodyRecordRequest(
                cli.Result.GetValue(subject)!, cli.Result.GetValue(battery), cli.Result.GetValue(from)!, cli.Result.GetValue(to)!, OperatorCommands.Actor,
                cli.Result.GetValue(note), cli.Result.GetValue(place), cli.Result.GetValue(erasure));
            var recorded = OperatorCommands.Require(await cli.Get<ICustodyDesk>().RecordAsync(request, DateTimeOffset.UtcNow));
            return cli.Print(recorded, () =>
            {
                var e = recorded.Event;
                var serial = recorded.Serial is null ? "" : $" (serial {recorded.Serial})";
                Console.WriteLine($"{e.Subject}{serial}: event {e.Index} {e.From} → {e.To}, hash {e.Hash}");
                foreach (var t in recorded.Transitions)
                    Console.WriteLine($"{t.From} → {t.To}: {t.Reason}");
                if (string.Equals(e.To, CustodyDesk.Site, StringComparison.OrdinalIgnoreCase) && recorded.Transitions.Count == 0 && recorded.Serial is not null)
                    Console.WriteLine($"back at the site: its state is left as it is ('{OperatorCommands.Program} devices set-state' when it works again)");
            });
        });
    }

    private static Command Show(OperatorCommands commands)
    {
        var subject = new Argument<string>("device") { Description = "device id or serial, or a battery serial" };
        return commands.Create("show", "a device's (or battery's) chain of custody, oldest first", [subject], cli =>
        {
            var id = cli.Result.GetValue(subject)!;
            var chain = cli.Get<ICustodyDesk>().Show(id) ?? throw new CliException($"no device {id} at this site, and no battery with custody events");
            return cli.Print(chain, () =>
            {
                var who = chain.Serial is null ? $"{chain.Subject} ({chain.Kind.ToString().ToLowerInvariant()})" : $"{chain.Subject}  serial {chain.Serial}  {chain.State}";
                Console.WriteLine($"{who}  {chain.Events.Count} custody events");
                Table.Write(
                    ["#", "AT", "FROM", "TO", "BY", "PLACE", "NOTE", "ERASURE", "HASH"],
                    chain.Events.Select(e => new[]
                    {
                        e.Index.ToString(CultureInfo.InvariantCulture), CliText.Time(e.At), e.From, e.To, e.Actor, Dash(e.Place), Dash(e.Note),
                        e.ErasureMethod.Length == 0 ? "-" : $"{e.ErasureMethod}:{e.ErasureCertificate}", e.Hash[..12],
                    }));
            });
        });
    }

    private static Command Export(OperatorCommands commands)
    {
        var device = new Option<string>("--device") { Description = "one device (id or serial) or battery serial; default: every subject" };
        var from = new Option<string>("--from") { Description = "events at or after this day or time (2026-11-01, 2026-11-01T08:00:00Z)" };
        var to = new Option<string>("--to") { Description = "events before this time, or through this day" };
        var output = new Option<string>("--out") { Description = "write the CSV to this file (default: standard output)" };
        return commands.Create("export", "custody events as CSV (RFC 4180), one row per event with its hashes", [device, from, to, output], cli =>
        {
            var start = Date(cli.Result.GetValue(from), "--from", end: false);
            var end = Date(cli.Result.GetValue(to), "--to", end: true);
            var events = cli.Get<ICustodyDesk>().Export(cli.Result.GetValue(device), start, end);
            if (cli.Result.GetValue(output) is { } path)
            {
                using var file = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                CustodyCsv.Write(file, events);
                Console.Error.WriteLine($"{events.Count} events written to {path}");
            }
            else
            {
                CustodyCsv.Write(Console.Out, events);
            }

            return 0;
        }, json: false);
    }

    private static Command Verify(OperatorCommands commands)
    {
        var device = new Argument<string?>("device") { Description = "one device (id or serial) or battery serial; default: every chain", Arity = ArgumentArity.ZeroOrOne };
        return commands.Create("verify", "check every chain of custody as stored: names each edited, removed or reordered event", [device], cli =>
        {
            var verdict = cli.Get<ICustodyDesk>().Verify(cli.Result.GetValue(device));
            if (cli.Json)
                Console.WriteLine(OperatorCommands.Serialize(verdict));
            else
                PrintVerdict(verdict);
            return verdict.AllVerify
                ? 0
                : throw new CliException($"{verdict.Problems.Count} problems in {verdict.Problems.Select(p => p.Subject).Distinct(StringComparer.Ordinal).Count()} of {verdict.Chains} chains");
        });
    }

    private static void PrintVerdict(CustodyVerification verdict)
    {
        if (verdict.AllVerify)
        {
            Console.WriteLine($"{verdict.Chains} chains, {verdict.Events} events, all verify");
            return;
        }

        foreach (var problem in verdict.Problems)
            Console.WriteLine(problem.ToString());
    }

    private static DateTimeOffset? Date(string? text, string option, bool end) =>
        text is null ? null : CustodyPeriod.Parse(text, end) ?? throw new CliException($"{option} '{text}' is not a day (2026-11-01) or a time (2026-11-01T08:00:00Z)", 2);

    private static string Dash(string text) => text.Length == 0 ? "-" : text;
}
