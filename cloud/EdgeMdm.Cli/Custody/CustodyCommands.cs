using System.Globalization;
using System.Text;
using EdgeMdm.Domain.Custody;

namespace EdgeMdm.Cli.Custody;

/// <summary>
/// <c>custody verify|show|export</c>: the sites' chains of custody as the hub stores them. Verification runs at the hub,
/// over what it holds (in the order it received each chain, against the heads it keeps apart).
/// </summary>
internal static class CustodyCommands
{
    public static Command Create(CliSession cli) => new("custody", "chains of custody the sites sent: verify, show, export")
    {
        Verify(cli), Show(cli), Export(cli),
    };

    private static Command Verify(CliSession cli)
    {
        var site = new Option<string>("--site") { Description = "only this site (default: every site of the tenant)" };
        var device = new Option<string>("--device") { Description = "only this device (id or serial) or battery serial" };
        var json = CliOptions.Json();
        var verify = new Command("verify", "verify every chain of custody the hub stores; names each edited, removed or reordered event") { site, device, json };
        verify.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var sites = result.GetValue(site) is { } one ? [one] : (await hub.ListSitesAsync(cancellationToken)).Select(s => s.Site).ToList();
            var verdicts = new List<HubCustodyVerification>();
            foreach (var siteId in sites)
                verdicts.Add(await hub.VerifyCustodyAsync(siteId, result.GetValue(device), cancellationToken));
            var row = new CustodyVerifyRow(verdicts.Sum(v => v.Chains), verdicts.Sum(v => v.Events), verdicts.All(v => v.AllVerify), verdicts);
            cli.Print(result, json, row, CliJson.Default.CustodyVerifyRow, () =>
            {
                if (row.AllVerify)
                    cli.Output.WriteLine($"{Number(row.Chains)} chains, {Number(row.Events)} events, all verify");
                foreach (var v in verdicts)
                {
                    foreach (var p in v.Problems ?? [])
                        cli.Output.WriteLine($"{v.SiteId} {p.Subject} event {Number(p.Index)}: {p.Kind} ({p.Detail})");
                }
            });
            var problems = verdicts.Sum(v => v.Problems?.Count ?? 0);
            return row.AllVerify
                ? 0
                : throw new CliException($"{Number(problems)} problems in {Number(verdicts.Sum(v => (v.Problems ?? []).Select(p => p.Subject).Distinct(StringComparer.Ordinal).Count()))} of {Number(row.Chains)} chains");
        });
        return verify;
    }

    private static Command Show(CliSession cli)
    {
        var site = new Option<string>("--site") { Description = "the device's site", Required = true };
        var device = new Argument<string>("device") { Description = "device id or serial, or a battery serial" };
        var json = CliOptions.Json();
        var show = new Command("show", "one device's (or battery's) chain of custody as the hub stores it") { site, device, json };
        show.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var events = (await hub.ListCustodyAsync(result.GetValue(site)!, result.GetValue(device), null, null, cancellationToken)).OrderBy(e => e.Index).ToList();
            if (events.Count == 0)
                throw new CliException($"the hub holds no custody event of {result.GetValue(device)} at site {result.GetValue(site)}");
            return cli.Print(result, json, events, CliJson.Default.ListHubCustodyEvent, () => TextTable.Write(
                cli.Output,
                ["#", "AT", "FROM", "TO", "BY", "PLACE", "NOTE", "ERASURE", "HASH"],
                events.Select(e => new[]
                {
                    Number(e.Index), e.At.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture), e.From ?? "", e.To ?? "", e.Actor ?? "",
                    Dash(e.Place), Dash(e.Note), string.IsNullOrEmpty(e.ErasureMethod) ? "-" : $"{e.ErasureMethod}:{e.ErasureCertificate}",
                    (e.Hash ?? "").Length > 12 ? e.Hash![..12] : e.Hash ?? "",
                })));
        });
        return show;
    }

    private static Command Export(CliSession cli)
    {
        var site = new Option<string>("--site") { Description = "the site", Required = true };
        var device = new Option<string>("--device") { Description = "one device (id or serial) or battery serial; default: every subject" };
        var from = new Option<string>("--from") { Description = "events at or after this day or time (2026-11-01, 2026-11-01T08:00:00Z)" };
        var to = new Option<string>("--to") { Description = "events before this time, or through this day" };
        var output = new Option<string>("--out") { Description = "write the CSV to this file (default: standard output)" };
        var export = new Command("export", "custody events as CSV (RFC 4180), the site first, then the columns the appliance exports") { site, device, from, to, output };
        export.SetAction(async (result, cancellationToken) =>
        {
            foreach (var (option, end) in new[] { (from, false), (to, true) })
            {
                if (result.GetValue(option) is { } text && CustodyPeriod.Parse(text, end) is null)
                    throw new CliException($"{option.Name} '{text}' is not a day (2026-11-01) or a time (2026-11-01T08:00:00Z)", 2);
            }

            using var hub = cli.Connect(result);
            var siteId = result.GetValue(site)!;
            var events = await hub.ListCustodyAsync(siteId, result.GetValue(device), result.GetValue(from), result.GetValue(to), cancellationToken);
            if (result.GetValue(output) is { } path)
            {
                await using var file = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
                CustodyCsv.Write(file, events.Select(e => e.ToEvent()), siteId);
            }
            else
            {
                CustodyCsv.Write(cli.Output, events.Select(e => e.ToEvent()), siteId);
            }

            return 0;
        });
        return export;
    }

    private static string Dash(string? text) => string.IsNullOrEmpty(text) ? "-" : text;
}
