using System.CommandLine;
using System.Globalization;
using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Text;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Devices;

/// <summary><c>edgemdm-edge devices list|show|set-state|allow-reenroll</c>.</summary>
public static class DevicesCli
{
    public static Command Devices(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var stale = new Option<string>("--stale") { Description = "a device is stale after this long without a check-in or enrollment", DefaultValueFactory = _ => "24h" };
        var list = commands.Create(
            "list",
            "devices enrolled at this site: compliance (compliant, non-compliant, unknown: nothing reported since enrollment, stale), " +
            "the key app's version (the first app the group's blueprint requires) and the dock state",
            [stale],
            cli =>
        {
            var devices = cli.Get<IDeviceQueries>().ListDevices(CliText.Duration(cli.Result.GetValue(stale)!, "--stale"));
            return cli.Print(devices, () =>
            {
                Table.Write(
                    ["DEVICE", "SERIAL", "MODEL", "GROUP", "ASSIGNED TO", "STATE", "COMPLIANCE", "APP", "BATTERY", "DOCK", "OS", "LAST CHECK-IN"],
                    devices.Select(d => new[]
                    {
                        d.DeviceId, d.Serial, $"{d.Manufacturer} {d.Model}", d.Group, d.Assignment ?? "-", d.State.ToString(), Compliance(d), Dash(d.App),
                        d.BatteryLevel is { } level ? level.ToString(CultureInfo.InvariantCulture) + " %" : "-", Dash(d.Dock),
                        d.OsVersion ?? "-", d.LastCheckinAt is { } at ? CliText.Time(at) : "never",
                    }));
                var others = ComplianceClassifier.Names.Skip(1)
                    .Select(name => (Name: name, Count: devices.Count(d => string.Equals(d.Compliance, name, StringComparison.Ordinal))))
                    .Where(c => c.Count > 0)
                    .Select(c => $", {c.Count} {c.Name}");
                Console.WriteLine($"{devices.Count} devices, {devices.Count(d => string.Equals(d.Compliance, "compliant", StringComparison.Ordinal))} compliant{string.Concat(others)}");
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
        return new Command("devices", "the site's devices") { list, Show(commands), setState, AllowReenroll(commands), Assign(commands) };
    }

    /// <summary><c>devices assign DEVICE --to TEXT | --clear</c>: who or what the device is handed out to.</summary>
    private static Command Assign(OperatorCommands commands)
    {
        var device = new Argument<string>("device") { Description = "device id or serial" };
        var to = new Option<string>("--to") { Description = "who or what the device is handed out to, e.g. \"picker 12\" or \"route 7\"" };
        var clear = new Option<bool>("--clear") { Description = "the device is handed out to no one" };
        return commands.Create("assign", "hand a device out to someone or something (a swap moves it to the spare)", [device, to, clear], async cli =>
        {
            var text = cli.Result.GetValue(to);
            var cleared = cli.Result.GetValue(clear);
            if (cleared == text is not null)
                throw new CliException("give either --to TEXT or --clear", 2);
            if (text is not null && (string.IsNullOrWhiteSpace(text) || text.Length > 256))
                throw new CliException("--to must say something, in at most 256 characters", 2);
            var summary = OperatorCommands.Require(await cli.Get<IDeviceAdmin>().AssignAsync(
                cli.Result.GetValue(device)!, text?.Trim(), OperatorCommands.Actor, DateTimeOffset.UtcNow));
            return cli.Print(summary, () => Console.WriteLine(
                summary.Assignment is null ? $"{summary.Serial} is handed out to no one" : $"{summary.Serial} is handed out to {summary.Assignment}"));
        });
    }

    /// <summary>
    /// <c>devices allow-reenroll SERIAL [--expires 1h] [--reason TEXT]</c>: lets an Active or Quarantined device enroll
    /// again once (a wiped device that lost its secret), recorded in the device's history.
    /// </summary>
    private static Command AllowReenroll(OperatorCommands commands)
    {
        var device = new Argument<string>("serial") { Description = "serial (or device id) of the device that may enroll again" };
        var expires = new Option<string>("--expires")
        {
            Description = $"how long the allowance holds, at most {DurationText.Format(Reenrollment.MaxAllowanceLifetime)} (e.g. 30m, 2h)",
            DefaultValueFactory = _ => DurationText.Format(Reenrollment.DefaultAllowanceLifetime),
        };
        var reason = new Option<string>("--reason") { Description = "why (kept in the device's history)", DefaultValueFactory = _ => "no reason given" };
        return commands.Create("allow-reenroll", "let an Active or Quarantined device enroll again, once, with any enrollment token", [device, expires, reason], async cli =>
        {
            var lifetime = CliText.Duration(cli.Result.GetValue(expires)!, "--expires");
            if (lifetime > Reenrollment.MaxAllowanceLifetime)
                throw new CliException($"--expires may be at most {DurationText.Format(Reenrollment.MaxAllowanceLifetime)}: an allowance lifts the device's protection against takeover", 2);
            var why = cli.Result.GetValue(reason)!;
            if (string.IsNullOrWhiteSpace(why))
                throw new CliException("--reason must say something", 2);
            var allowance = OperatorCommands.Require(await cli.Get<IReenrollAllowances>().AllowAsync(
                cli.Result.GetValue(device)!, lifetime, OperatorCommands.Actor, why.Trim(), DateTimeOffset.UtcNow));
            return cli.Print(allowance, () => Console.WriteLine(
                $"{allowance.Serial} ({allowance.DeviceId}, {allowance.State}) may enroll again once, until {CliText.Time(allowance.ExpiresAt)}; allowance {allowance.Id} by {allowance.GrantedBy}: {allowance.Reason}"));
        });
    }

    private static string Compliance(DeviceSummary d) =>
        string.Equals(d.Compliance, "non-compliant", StringComparison.Ordinal) ? $"non-compliant ({d.Findings})" : d.Compliance;

    private static string Dash(string text) => text.Length == 0 ? "-" : text;

    private static Command Show(OperatorCommands commands)
    {
        var device = new Argument<string>("device") { Description = "device id or serial" };
        return commands.Create("show", "one device: compliance and findings, what it reports (OS and patch level, battery and dock, storage, Wi-Fi, apps and versions), lifecycle history", [device], cli =>
        {
            var id = cli.Result.GetValue(device)!;
            var detail = cli.Get<IDeviceQueries>().Device(id) ?? throw new CliException($"no device {id} at this site");
            return cli.Print(detail, () =>
            {
                var d = detail.Device;
                Console.WriteLine($"{d.DeviceId}  serial {d.Serial}  {d.Manufacturer} {d.Model}  group {d.Group}  {d.State}  enrolled {detail.Enrollments}×");
                Console.WriteLine(d.Assignment is null ? "assigned to no one" : $"assigned to {d.Assignment}");
                Console.WriteLine($"compliance: {Compliance(d)}");
                foreach (var f in detail.CurrentFindings)
                    Console.WriteLine($"  {f.Severity,-8} {f.Item}: expected {f.Expected}, found {f.Actual}");
                if (d.App.Length > 0)
                    Console.WriteLine($"key app: {d.App}");
                Console.WriteLine($"last check-in: {(d.LastCheckinAt is { } seen ? CliText.Time(seen) : "never")}, enrolled: {(d.EnrolledAt is { } enrolled ? CliText.Time(enrolled) : "-")}");
                foreach (var (label, text) in DeviceStatusText.Lines(detail.Reported))
                    Console.WriteLine($"{label}: {text}");
                Console.WriteLine("history:");
                foreach (var t in detail.History)
                    Console.WriteLine($"  {CliText.Time(t.At)}  {t.From?.ToString() ?? "-"} → {t.To}  by {t.Actor}: {t.Reason}");
                if (detail.Allowances.Count == 0)
                    return;
                var now = DateTimeOffset.UtcNow;
                Console.WriteLine("re-enrollment allowances:");
                foreach (var a in detail.Allowances)
                {
                    var closed = a.ClosedAt is { } at ? $", {a.Outcome} {CliText.Time(at)} ({a.ClosedBy})" : "";
                    Console.WriteLine($"  {CliText.Time(a.GrantedAt)}  {a.StatusAt(now)}  by {a.GrantedBy} while {a.State}, until {CliText.Time(a.ExpiresAt)}: {a.Reason}{closed}");
                }
            });
        });
    }
}
