using System.CommandLine;
using System.Globalization;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Devices;

/// <summary><c>edgemdm-edge devices list|show|set-state</c>.</summary>
public static class DevicesCli
{
    public static Command Devices(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var list = commands.Create("list", "devices enrolled at this site", [], cli =>
        {
            var devices = cli.Get<IDeviceQueries>().ListDevices();
            return cli.Print(devices, () =>
            {
                Table.Write(
                    ["DEVICE", "SERIAL", "MODEL", "GROUP", "STATE", "COMPLIANT", "BATTERY", "OS", "LAST CHECK-IN"],
                    devices.Select(d => new[]
                    {
                        d.DeviceId, d.Serial, $"{d.Manufacturer} {d.Model}", d.Group, d.State.ToString(),
                        d.Compliant ? "yes" : $"no ({d.Findings})",
                        d.BatteryLevel is { } level ? level.ToString(CultureInfo.InvariantCulture) + " %" : "-",
                        d.OsVersion ?? "-", d.LastCheckinAt is { } at ? CliText.Time(at) : "never",
                    }));
                Console.WriteLine($"{devices.Count} devices, {devices.Count(d => d.Compliant)} compliant");
            });
        });

        var target = new Argument<DeviceState>("state") { Description = "Active, Quarantined, InRepair, Staging or Retired" };
        var setDevice = new Argument<string>("device") { Description = "device id or serial" };
        var reason = new Option<string>("--reason") { Description = "why (kept in the device's history)", Required = true };
        var setState = commands.Create("set-state", "move a device through its lifecycle", [setDevice, target, reason], async cli =>
        {
            var outcome = await cli.Get<IDeviceAdmin>().TransitionAsync(
                cli.Result.GetValue(setDevice)!, cli.Result.GetValue(target), OperatorCommands.Actor, cli.Result.GetValue(reason)!, DateTimeOffset.UtcNow);
            var transition = OperatorCommands.Require(outcome);
            Console.WriteLine($"{transition.From} → {transition.To}");
            return 0;
        }, json: false);
        return new Command("devices", "the site's devices") { list, Show(commands), setState };
    }

    private static Command Show(OperatorCommands commands)
    {
        var device = new Argument<string>("device") { Description = "device id or serial" };
        return commands.Create("show", "one device: status, findings and lifecycle history", [device], cli =>
        {
            var id = cli.Result.GetValue(device)!;
            var detail = cli.Get<IDeviceQueries>().Device(id) ?? throw new CliException($"no device {id} at this site");
            return cli.Print(detail, () =>
            {
                var d = detail.Device;
                Console.WriteLine($"{d.DeviceId}  serial {d.Serial}  {d.Manufacturer} {d.Model}  group {d.Group}  {d.State}  enrolled {detail.Enrollments}×");
                Console.WriteLine(d.Compliant ? "compliant" : $"not compliant ({d.Findings} findings)");
                foreach (var f in detail.CurrentFindings)
                    Console.WriteLine($"  {f.Severity,-8} {f.Item}: expected {f.Expected}, found {f.Actual}");
                Console.WriteLine("history:");
                foreach (var t in detail.History)
                    Console.WriteLine($"  {CliText.Time(t.At)}  {t.From?.ToString() ?? "-"} → {t.To}  by {t.Actor}: {t.Reason}");
            });
        });
    }
}
