using System.Text.Json;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Cloud.Tests;

/// <summary>Devices as a site reports them, and pieces of console pages, for the console's page tests.</summary>
internal static class ConsoleFleet
{
    /// <summary>A picker enrolled and reporting com.acme.scan at <paramref name="installed"/>, with the findings its site judged; two changes from <paramref name="sequence"/>.</summary>
    public static SiteChange[] Reporting(ulong sequence, string deviceId, DateTimeOffset at, long installed, bool compliant, params (string Item, string Severity)[] findings)
    {
        var status = new DeviceStatus { Apps = [new InstalledApp { PackageName = "com.acme.scan", VersionCode = installed, VersionName = installed == 120 ? "1.2" : "1.0" }] };
        var reported = new SiteChange
        {
            Sequence = sequence + 1, DeviceId = deviceId, AtUnixMs = at.ToUnixTimeMilliseconds(),
            Status = new() { StatusJson = JsonSerializer.Serialize(status, DeviceProtocolJson.Default.DeviceStatus), Compliant = compliant, LastCheckinUnixMs = at.ToUnixTimeMilliseconds() },
        };
        foreach (var (item, severity) in findings)
            reported.Status.Findings.Add(new DriftFinding { Item = item, Expected = "x", Actual = "y", Severity = severity });
        return
        [
            new SiteChange { Sequence = sequence, DeviceId = deviceId, AtUnixMs = at.AddDays(-1).ToUnixTimeMilliseconds(), Enrolled = new() { Serial = "SN-" + deviceId, Group = "pickers" } },
            reported,
        ];
    }

    /// <summary>The HTML from the element carrying <paramref name="marker"/> to its closing <c>&lt;/table&gt;</c>.</summary>
    public static string Section(string html, string marker)
    {
        var start = html.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"the page has no {marker}");
        var end = html.IndexOf("</table>", start, StringComparison.Ordinal);
        return html[start..(end < 0 ? html.Length : end)];
    }
}
