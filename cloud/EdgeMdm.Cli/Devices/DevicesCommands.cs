using System.Globalization;

namespace EdgeMdm.Cli.Devices;

/// <summary><c>devices list</c>: devices as their sites last reported them.</summary>
internal static class DevicesCommands
{
    public static Command Create(CliSession cli)
    {
        var site = new Option<string>("--site") { Description = "only this site's devices" };
        var json = CliOptions.Json();
        var list = new Command("list", "devices as their sites last reported them") { site, json };
        list.SetAction(async (result, cancellationToken) =>
        {
            using var hub = cli.Connect(result);
            var devices = (await hub.ListDevicesAsync(result.GetValue(site), cancellationToken)).Select(DeviceRow.Of).ToList();
            return cli.Print(result, json, devices, CliJson.Default.ListDeviceRow, () =>
            {
                TextTable.Write(
                    cli.Output,
                    ["SITE", "DEVICE", "SERIAL", "MODEL", "GROUP", "STATE", "COMPLIANT", "OS", "LAST CHECK-IN"],
                    devices.Select(d => new[]
                    {
                        d.SiteId, d.DeviceId, d.Serial, d.Model, d.Group, d.State, Compliance(d), d.OsVersion, Time(d.LastCheckinAt, "never"),
                    }));
                cli.Output.WriteLine($"{Number(devices.Count)} devices, {Number(devices.Count(d => d.Compliant == true))} compliant");
            });
        });
        return new Command("devices", "devices of every site") { list };
    }

    private static string Compliance(DeviceRow d) => d.Compliant switch
    {
        true => "yes",
        false => $"no ({d.Findings.ToString(CultureInfo.InvariantCulture)})",
        null => "-",
    };
}
