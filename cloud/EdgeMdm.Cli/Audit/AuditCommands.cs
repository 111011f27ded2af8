using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeMdm.Cli.Hub;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Custody;

namespace EdgeMdm.Cli.Audit;

/// <summary>
/// <c>audit verify|export</c>: the hub's audit trail (its own chain for the tenant, and each site's chain as the site
/// sent it). Verification runs at the hub over what it stores, against the heads it keeps apart.
/// </summary>
internal static class AuditCommands
{
    public static Command Create(CliSession cli) => new("audit", "the audit trail: who changed what, when, from where; hash-chained")
    {
        Verify(cli), Export(cli),
    };

    private static Command Verify(CliSession cli)
    {
        var site = new Option<string>("--site") { Description = "only this site's chain (default: the tenant's and every site's)" };
        var json = CliOptions.Json();
        var verify = new Command("verify", "verify the audit chains the hub stores; names each edited, removed or reordered record (exit 1)") { site, json };
        verify.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var path = "api/v1/audit/verify" + (result.GetValue(site) is { } one ? "?site=" + Uri.EscapeDataString(one) : "");
            var verdict = await hub.GetAsync(path, HubJson.Default.JsonElement, cancellationToken);
            var allVerify = verdict.TryGetProperty("allVerify", out var all) && all.ValueKind == JsonValueKind.True;
            var problems = verdict.TryGetProperty("problems", out var list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select(p => p.TryGetProperty("text", out var text) ? text.GetString() ?? "" : p.ToString()).ToList()
                : [];
            if (result.GetValue(json))
            {
                cli.Output.WriteLine(verdict.GetRawText());
            }
            else
            {
                if (allVerify)
                    cli.Output.WriteLine($"{Count(verdict, "chains")} chains, {Count(verdict, "records")} records, all verify");
                problems.ForEach(cli.Output.WriteLine);
            }

            return allVerify
                ? 0
                : throw new CliException($"{problems.Count.ToString(CultureInfo.InvariantCulture)} problems in the audit trail; first: {problems.FirstOrDefault() ?? "(none named)"}");
        });
        return verify;
    }

    private static Command Export(CliSession cli)
    {
        var site = new Option<string>("--site") { Description = "this site's chain (default: the hub's own chain for the tenant)" };
        var from = new Option<string>("--from") { Description = "records at or after this day or time (2026-11-01, 2026-11-01T08:00:00Z)" };
        var to = new Option<string>("--to") { Description = "records before this time, or through this day" };
        var format = new Option<string>("--format") { Description = "csv (default) or jsonl", DefaultValueFactory = _ => "csv" };
        var output = new Option<string>("--out") { Description = "write to this file (default: standard output)" };
        var export = new Command("export", "audit records of a period, with both hashes, as CSV or JSON lines") { site, from, to, format, output };
        export.SetAction(async (result, cancellationToken) =>
        {
            foreach (var (option, end) in new[] { (from, false), (to, true) })
            {
                if (result.GetValue(option) is { } text && CustodyPeriod.Parse(text, end) is null)
                    throw new CliException($"{option.Name} '{text}' is not a day (2026-11-01) or a time (2026-11-01T08:00:00Z)", 2);
            }

            var form = AuditExport.ParseFormat(result.GetValue(format))
                ?? throw new CliException($"--format '{result.GetValue(format)}' is neither csv nor jsonl", 2);
            var query = new[] { ("site", result.GetValue(site)), ("from", result.GetValue(from)), ("to", result.GetValue(to)), ("format", form == AuditFormat.Csv ? "csv" : "jsonl") }
                .Where(p => p.Item2 is not null).Select(p => p.Item1 + "=" + Uri.EscapeDataString(p.Item2!));
            using var hub = cli.Connect(result);
            var answer = await hub.GetTextAsync("api/v1/audit?" + string.Join('&', query), cancellationToken);
            if (result.GetValue(output) is { } path)
                await File.WriteAllTextAsync(path, answer, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), cancellationToken);
            else
                await cli.Output.WriteAsync(answer);
            return 0;
        });
        return export;
    }

    private static string Count(JsonElement verdict, string name) =>
        verdict.TryGetProperty(name, out var n) && n.TryGetInt64(out var value) ? value.ToString(CultureInfo.InvariantCulture) : "?";
}
