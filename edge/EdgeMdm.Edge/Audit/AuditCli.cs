using System.CommandLine;
using System.Text;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Custody;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Audit;

/// <summary><c>edgemdm-edge audit verify|export</c>.</summary>
public static class AuditCli
{
    public static Command Audit(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return new Command("audit", "the site's audit trail: every change a person, the hub or the appliance made, hash-chained")
        {
            Verify(commands), Export(commands),
        };
    }

    private static Command Verify(OperatorCommands commands) =>
        commands.Create("verify", "check the audit trail as stored: names each edited, removed or reordered record (exit 1)", [], cli =>
        {
            var verdict = cli.Get<IAuditTrail>().Verify();
            if (cli.Json)
                Console.WriteLine(OperatorCommands.Serialize(verdict));
            else if (verdict.AllVerify)
                Console.WriteLine($"{verdict.Links} audit records, all verify");
            else
                verdict.Problems.Select(AuditChain.Describe).ToList().ForEach(Console.WriteLine);
            return verdict.AllVerify
                ? 0
                : throw new CliException($"{verdict.Problems.Count} problems in the audit trail of {verdict.Links} records; first: {AuditChain.Describe(verdict.Problems[0])}");
        });

    private static Command Export(OperatorCommands commands)
    {
        var from = new Option<string>("--from") { Description = "records at or after this day or time (2026-11-01, 2026-11-01T08:00:00Z)" };
        var to = new Option<string>("--to") { Description = "records before this time, or through this day" };
        var format = new Option<string>("--format") { Description = "csv (default) or jsonl", DefaultValueFactory = _ => "csv" };
        var output = new Option<string>("--out") { Description = "write to this file (default: standard output)" };
        return commands.Create("export", "audit records of a period, with both hashes, as CSV or JSON lines", [from, to, format, output], cli =>
        {
            var start = Date(cli.Result.GetValue(from), "--from", end: false);
            var end = Date(cli.Result.GetValue(to), "--to", end: true);
            var form = AuditExport.ParseFormat(cli.Result.GetValue(format))
                ?? throw new CliException($"--format '{cli.Result.GetValue(format)}' is neither csv nor jsonl", 2);
            var records = cli.Get<IAuditTrail>().Between(start, end);
            if (cli.Result.GetValue(output) is { } path)
            {
                using var file = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                AuditExport.Write(file, records, form);
                Console.Error.WriteLine($"{records.Count} audit records written to {path}");
            }
            else
            {
                AuditExport.Write(Console.Out, records, form);
            }

            return 0;
        }, json: false);
    }

    private static DateTimeOffset? Date(string? text, string option, bool end) =>
        text is null ? null : CustodyPeriod.Parse(text, end) ?? throw new CliException($"{option} '{text}' is not a day (2026-11-01) or a time (2026-11-01T08:00:00Z)", 2);
}
