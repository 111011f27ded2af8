using System.Text.Json;
using System.Text.RegularExpressions;
using EdgeMdm.Cloud.Fleet;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// What the console tests feed the hub as a site would (its log's changes, applied by the upstream as a sync does), and
/// how they read the pages: the values of a data attribute, in page order, a fact, a section.
/// </summary>
internal static partial class ConsoleFleet
{
    /// <summary>A device reporting apps, OS, battery in cradle C1 slot 3, storage and Wi-Fi.</summary>
    public const string FullStatus =
        """
        {"apps":[{"packageName":"com.acme.scan","versionCode":100,"versionName":"1.0"},{"packageName":"com.android.chrome","versionCode":5,"versionName":"120.0"}],
         "os":{"version":"13","securityPatch":"2026-10-05"},
         "battery":{"level":64,"charging":true,"docked":true,"dockedAt":{"cradleId":"C1","slot":3}},
         "storage":{"freeBytes":8000000000,"totalBytes":32000000000},
         "wifi":{"ssid":"warehouse","rssi":-61}}
        """;

    public static SiteChange Enrolled(ulong sequence, string deviceId, DateTimeOffset at, string? serial = null, string group = "pickers") => new()
    {
        Sequence = sequence, DeviceId = deviceId, AtUnixMs = at.ToUnixTimeMilliseconds(),
        Enrolled = new() { Serial = serial ?? "SN-" + deviceId, Group = group, Model = "TC52", Manufacturer = "Zebra" },
    };

    public static SiteChange Status(ulong sequence, string deviceId, DateTimeOffset at, string statusJson, bool compliant, params DriftFinding[] findings)
    {
        var change = new SiteChange
        {
            Sequence = sequence, DeviceId = deviceId, AtUnixMs = at.ToUnixTimeMilliseconds(),
            Status = new() { StatusJson = statusJson, Compliant = compliant, LastCheckinUnixMs = at.ToUnixTimeMilliseconds() },
        };
        change.Status.Findings.Add(findings);
        return change;
    }

    public static SiteChange Moved(ulong sequence, string deviceId, DateTimeOffset at, string from, string to, string actor, string reason) => new()
    {
        Sequence = sequence, DeviceId = deviceId, AtUnixMs = at.ToUnixTimeMilliseconds(),
        Transitioned = new() { FromState = from, ToState = to, Actor = actor, Reason = reason },
    };

    public static SiteChange Result(ulong sequence, string deviceId, string commandId, string status, string message) => new()
    {
        Sequence = sequence, DeviceId = deviceId, AtUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        CommandResult = new() { CommandId = commandId, Status = status, Message = message, FinishedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
    };

    /// <summary>The values of <c>data-<paramref name="name"/></c> attributes in the page, in order.</summary>
    public static List<string> Data(string html, string name) =>
        Regex.Matches(html, $"data-{Regex.Escape(name)}=\"([^\"]*)\"", RegexOptions.None, TimeSpan.FromSeconds(1)).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

    /// <summary>The text of the element carrying <c>data-fact="<paramref name="fact"/>"</c>.</summary>
    public static string Fact(string html, string fact) =>
        Regex.Match(html, $"data-fact=\"{Regex.Escape(fact)}\">([^<]*)<", RegexOptions.None, TimeSpan.FromSeconds(1)) is { Success: true } m
            ? WebUtility.HtmlDecode(m.Groups[1].Value)
            : throw new Xunit.Sdk.XunitException($"the page has no fact '{fact}'");

    /// <summary>The commands the hub holds for the default tenant, newest first.</summary>
    public static async Task<CommandList> CommandsAsync(RunningHub hub) => await hub.Store.Commands.ListCommandsAsync(TenantIds.Default, new CommandQuery());

    /// <summary>A console page's HTML with the status it was answered with.</summary>
    public static async Task<(HttpStatusCode Status, string Html)> AnswerAsync(this EdgeMdm.Testing.FormBrowser browser, string path)
    {
        using var page = await browser.GetAsync(path);
        return (page.StatusCode, await page.Content.ReadAsStringAsync());
    }

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
