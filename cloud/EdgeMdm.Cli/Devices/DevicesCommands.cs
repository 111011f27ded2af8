using EdgeMdm.Cli.Hub;
using EdgeMdm.Domain.Drift;

namespace EdgeMdm.Cli.Devices;

/// <summary><c>devices list | show</c>: devices as their sites last reported them.</summary>
internal static class DevicesCommands
{
    public static Command Create(CliSession cli) => new("devices", "devices of every site") { List(cli), Show(cli) };

    private static Command List(CliSession cli)
    {
        var site = new Option<string>("--site") { Description = "only this site's devices" };
        var json = CliOptions.Json();
        var list = new Command(
            "list",
            "devices as their sites last reported them: compliance (compliant, non-compliant, unknown, stale), the key app's version " +
            "(the first app the device's blueprint requires, and the version it wants when the device runs another) and the dock state")
        {
            site, json,
        };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var now = cli.Clock.GetUtcNow();
            var devices = (await hub.ListDevicesAsync(result.GetValue(site), cancellationToken)).Select(d => DeviceRow.Of(d, now)).ToList();
            return cli.Print(result, json, devices, CliJson.Default.ListDeviceRow, () =>
            {
                TextTable.Write(
                    cli.Output,
                    ["SITE", "DEVICE", "SERIAL", "MODEL", "GROUP", "STATE", "COMPLIANCE", "APP", "BATTERY", "DOCK", "OS", "LAST CHECK-IN"],
                    devices.Select(d => new[]
                    {
                        d.SiteId, d.DeviceId, d.Serial, d.Model, d.Group, d.State, Compliance(d), Dash(d.App),
                        d.BatteryLevel is { } level ? Number(level) + " %" : "-", Dash(d.Dock), d.OsVersion, Time(d.LastCheckinAt, "never"),
                    }));
                var counts = ComplianceClassifier.Names
                    .Select(name => (Name: name, Count: devices.Count(d => string.Equals(d.Compliance, name, StringComparison.Ordinal))))
                    .Where(c => c.Count > 0 && !string.Equals(c.Name, "compliant", StringComparison.Ordinal))
                    .Select(c => $", {Number(c.Count)} {c.Name}");
                cli.Output.WriteLine($"{Number(devices.Count)} devices, {Number(devices.Count(d => string.Equals(d.Compliance, "compliant", StringComparison.Ordinal)))} compliant{string.Concat(counts)}");
            });
        });
        return list;
    }

    private static Command Show(CliSession cli)
    {
        var device = new Argument<string>("device") { Description = "device id or serial" };
        var site = new Option<string>("--site") { Description = "the device's site, when the id or serial is known at several" };
        var json = CliOptions.Json();
        var show = new Command(
            "show",
            "one device by id or serial: compliance and findings, what it reports (OS and patch level, battery and dock, storage, Wi-Fi, apps and versions) and its lifecycle history")
        {
            device, site, json,
        };
        show.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var detail = await hub.GetDeviceAsync(result.GetValue(device)!, NonEmpty(result.GetValue(site)), cancellationToken);
            if (detail.Device is not { } found)
                throw new CliException("the hub answered without a device");
            var row = DeviceRow.Of(found, cli.Clock.GetUtcNow());
            var reports = DeviceStatusText.Lines(found.ReportedStatus()).Select(l => new StatusLine(l.Label, l.Text)).ToList();
            var shown = new DeviceDetailRow(row, reports, detail.History ?? []);
            return cli.Print(result, json, shown, CliJson.Default.DeviceDetailRow, () => WriteDevice(cli.Output, shown));
        });
        return show;
    }

    private static void WriteDevice(TextWriter output, DeviceDetailRow shown)
    {
        var d = shown.Device;
        output.WriteLine($"{d.DeviceId}  serial {d.Serial}  {d.Model}  site {d.SiteId}  group {d.Group}  {d.State}");
        output.WriteLine($"compliance: {Compliance(d)}");
        foreach (var f in d.DriftFindings)
            output.WriteLine($"  {f.Severity,-8} {f.Item}: expected {f.Expected}, found {f.Actual}");
        if (d.App.Length > 0)
            output.WriteLine($"key app: {d.App}");
        output.WriteLine($"last check-in: {Time(d.LastCheckinAt, "never")}, enrolled: {Time(d.EnrolledAt, "-")}");
        foreach (var line in shown.Reports)
            output.WriteLine($"{line.Label}: {line.Text}");
        if (shown.History.Count == 0)
            return;
        output.WriteLine("history:");
        foreach (var t in shown.History)
            output.WriteLine($"  {Time(t.At, "-")}  {(string.IsNullOrEmpty(t.FromState) ? "-" : t.FromState)} → {t.ToState}  by {t.Actor}: {t.Reason}");
    }

    private static string Compliance(DeviceRow d) =>
        string.Equals(d.Compliance, "non-compliant", StringComparison.Ordinal) ? $"non-compliant ({Number(d.Findings)})" : Dash(d.Compliance);

    private static string Dash(string text) => text.Length == 0 ? "-" : text;
}
