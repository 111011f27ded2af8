namespace EdgeMdm.Cli.Sites;

/// <summary><c>sites add | list</c>: the sites (appliances) registered with the hub.</summary>
internal static class SitesCommands
{
    public static Command Create(CliSession cli) => new("sites", "sites (appliances) registered with the hub") { Add(cli), List(cli) };

    private static Command Add(CliSession cli)
    {
        var name = new Argument<string>("name") { Description = "the site's name, e.g. \"Lyon DC\"" };
        var json = CliOptions.Json();
        var add = new Command("add", "register a site; prints its id and credential (shown this once only)") { name, json };
        add.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var created = await hub.AddSiteAsync(result.GetValue(name)!, cancellationToken);
            var added = new SiteAdded(created.Site, created.Credential ?? "");
            return cli.Print(result, json, added, CliJson.Default.SiteAdded, () =>
            {
                cli.Output.WriteLine($"site        {added.SiteId}");
                cli.Output.WriteLine($"credential  {added.Credential}");
                cli.Output.WriteLine("Store the credential on the site's appliance now: it will not be shown again.");
            });
        });
        return add;
    }

    private static Command List(CliSession cli)
    {
        var json = CliOptions.Json();
        var list = new Command(
            "list",
            "every site with its last sync, uplink, backlog (changes the site holds that the hub has not applied) and lag " +
            "(age of its oldest pending change, plus the time since it last reported when it has gone silent); '-' when the site has not reported them")
        {
            json,
        };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var sites = (await hub.ListSitesAsync(cancellationToken))
                .Select(s => new SiteRow(s.Site, s.Name ?? "", s.LastSyncAt, s.AppliedThrough, s.FeedHead, s.Backlog, s.LagSeconds, s.UplinkState))
                .OrderBy(s => s.SiteId, StringComparer.Ordinal)
                .ToList();
            return cli.Print(result, json, sites, CliJson.Default.ListSiteRow, () =>
                TextTable.Write(
                    cli.Output,
                    ["SITE", "NAME", "LAST SYNC", "UPLINK", "BACKLOG", "LAG", "APPLIED", "FEED"],
                    sites.Select(s => new[]
                    {
                        s.SiteId, s.Name, Time(s.LastSyncAt, "never"), s.UplinkState ?? "-", Number(s.Backlog),
                        s.LagSeconds is { } lag ? Lag(lag) : "-", Number(s.AppliedThrough), Number(s.FeedHead),
                    })));
        });
        return list;
    }

    /// <summary>A lag in seconds as people read it: <c>0s</c>, <c>95s</c>, <c>12m</c>, <c>5h</c>, <c>3d</c>.</summary>
    private static string Lag(long seconds) => seconds switch
    {
        < 120 => Number(Math.Max(0, seconds)) + "s",
        < 2 * 3600 => Number(seconds / 60) + "m",
        < 48 * 3600 => Number(seconds / 3600) + "h",
        _ => Number(seconds / 86400) + "d",
    };
}
