namespace EdgeMdm.Cli.Reports;

/// <summary><c>report drift</c>: what the floor really runs, across sites.</summary>
internal static class ReportCommands
{
    public static Command Create(CliSession cli)
    {
        var site = new Option<string>("--site") { Description = "only this site" };
        var stale = new Option<string>("--stale") { Description = "a device is stale after this long without a check-in or enrollment (default 24h)", DefaultValueFactory = _ => "24h" };
        var json = CliOptions.Json();
        var drift = new Command(
            "drift",
            "what the floor really runs, across sites: compliance per site (compliant, non-compliant, unknown, stale), app versions on the devices, " +
            "non-compliant devices with their findings, unknown ones (enrolled, nothing reported yet) and stale ones. " +
            "Built from the devices the sites reported (GET /api/v1/devices): findings are as each site computed them.")
        {
            site, stale, json,
        };
        drift.SetAction(async (result, cancellationToken) =>
        {
            var staleText = result.GetValue(stale)!;
            var staleAfter = ParseDuration(staleText, "--stale");
            using var hub = cli.Connect(result);
            var devices = await hub.ListDevicesAsync(result.GetValue(site), cancellationToken);
            var report = DriftReport.Build(devices, cli.Clock.GetUtcNow(), staleAfter, DurationText.Format(staleAfter));
            return cli.Print(result, json, report, CliJson.Default.DriftReport, () => WriteDrift(cli.Output, report, cli.Clock.GetUtcNow()));
        });
        return new Command("report", "reports across sites") { drift };
    }

    private static void WriteDrift(TextWriter output, DriftReport report, DateTimeOffset now)
    {
        if (report.Sites.Count == 0)
        {
            output.WriteLine("no devices reported yet");
            return;
        }

        TextTable.Write(
            output,
            ["SITE", "DEVICES", "COMPLIANT", "NON-COMPLIANT", "UNKNOWN", "STALE"],
            report.Sites.Select(r => new[]
            {
                r.SiteId, Number(r.Devices), Number(r.Compliant), Number(r.NonCompliant), Number(r.Unknown), Number(r.Stale),
            }));
        if (report.AppVersions.Count > 0)
        {
            output.WriteLine();
            TextTable.Write(
                output,
                ["APP", "VERSION", "DEVICES", "SITES"],
                report.AppVersions.Select(v => new[]
                {
                    v.PackageName,
                    string.IsNullOrEmpty(v.VersionName) ? Number(v.VersionCode) : $"{v.VersionName} ({Number(v.VersionCode)})",
                    Number(v.Devices),
                    string.Join(", ", v.Sites.Select(s => $"{s.Key} {Number(s.Value)}")),
                }));
        }

        WriteDevices(output, "non-compliant", report.NonCompliant, Findings);
        WriteDevices(output, "unknown (enrolled, nothing reported yet)", report.Unknown, d => d.EnrolledAt is { } at ? "enrolled " + Age(now - at) + " ago" : "enrolled");
        WriteDevices(output, $"stale (silent for more than {report.StaleAfter})", report.Stale, d => d.LastCheckinAt is { } at ? Age(now - at) + " ago" : "never checked in");
    }

    private static void WriteDevices(TextWriter output, string title, IReadOnlyList<DeviceRow> devices, Func<DeviceRow, string> detail)
    {
        if (devices.Count == 0)
            return;
        output.WriteLine();
        output.WriteLine($"{title}:");
        TextTable.Write(
            output,
            ["SITE", "DEVICE", "SERIAL", "GROUP", "STATE", "DETAIL", "LAST CHECK-IN"],
            devices.Select(d => new[] { d.SiteId, d.DeviceId, d.Serial, d.Group, d.State, detail(d), Time(d.LastCheckinAt, "never") }));
    }

    /// <summary>The findings named, or their count from a hub that sends only a count.</summary>
    private static string Findings(DeviceRow d) =>
        d.DriftFindings.Count > 0 ? string.Join("; ", d.DriftFindings.Select(f => f.Text())) : Number(d.Findings) + " findings";

    /// <summary>Whole days, hours or minutes: <c>4d</c>, <c>5h</c>, <c>12m</c>.</summary>
    private static string Age(TimeSpan age) => age switch
    {
        { TotalDays: >= 1 } => Number((long)age.TotalDays) + "d",
        { TotalHours: >= 1 } => Number((long)age.TotalHours) + "h",
        _ => Number((long)Math.Max(0, age.TotalMinutes)) + "m",
    };
}
