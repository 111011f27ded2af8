using System.CommandLine;
using System.Globalization;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Checkin;

/// <summary><c>edgemdm-edge drift</c>.</summary>
public static class DriftCli
{
    public static Command Drift(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return commands.Create("drift", "what the floor really runs: app versions and non-compliant devices", [], cli =>
        {
            var summary = cli.Get<IDriftReport>().Drift();
            return cli.Print(summary, () =>
            {
                Console.WriteLine(
                    $"{summary.Compliant} of {summary.Devices} devices compliant, {summary.NonCompliant.Count} non-compliant, " +
                    $"{summary.Unknown.Count} unknown (enrolled, nothing reported yet), {summary.Stale.Count} stale (silent for a day)");
                Console.WriteLine();
                Table.Write(
                    ["APP", "VERSION", "DEVICES", "REQUIRED"],
                    summary.AppVersions.Select(v => new[]
                    {
                        v.PackageName, $"{v.VersionName} ({v.VersionCode})", v.Devices.ToString(CultureInfo.InvariantCulture), v.Required ? "yes" : "",
                    }));
                WriteQuiet("unknown (enrolled, nothing reported yet)", summary.Unknown);
                WriteQuiet("stale (silent for a day)", summary.Stale);
                if (summary.NonCompliant.Count == 0)
                    return;
                Console.WriteLine();
                Table.Write(
                    ["DEVICE", "SERIAL", "GROUP", "STATE", "FINDINGS"],
                    summary.NonCompliant.Select(d => new[]
                    {
                        d.DeviceId, d.Serial, d.Group, d.State.ToString(),
                        string.Join("; ", d.Findings.Select(f => $"{f.Item}: {f.Actual} (want {f.Expected})")),
                    }));
            });
        });
    }

    private static void WriteQuiet(string title, IReadOnlyList<QuietDevice> devices)
    {
        if (devices.Count == 0)
            return;
        Console.WriteLine();
        Console.WriteLine(title + ":");
        Table.Write(
            ["DEVICE", "SERIAL", "GROUP", "STATE", "ENROLLED", "LAST CHECK-IN"],
            devices.Select(d => new[]
            {
                d.DeviceId, d.Serial, d.Group, d.State.ToString(), d.EnrolledAt is { } at ? CliText.Time(at) : "-", d.LastCheckinAt is { } seen ? CliText.Time(seen) : "never",
            }));
    }
}
