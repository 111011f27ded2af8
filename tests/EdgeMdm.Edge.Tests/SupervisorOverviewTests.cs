using System.Globalization;
using System.Text.RegularExpressions;
using EdgeMdm.Domain.Security;
using static EdgeMdm.Edge.Tests.SpareTestFloor;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The overview's figures as the floor stands: every device counted once in its compliance tile (as the drift report
/// classifies it), in its lifecycle state's bar and in its charge band, read from the stored statuses by one query.
/// </summary>
public sealed partial class SupervisorOverviewTests
{
    [Fact]
    public async Task The_overview_counts_each_device_once_as_the_drift_report_does()
    {
        // Arrange: one device silent for over a day, then two compliant (charge 95 and 10), one with the blueprint's
        // apps missing (30), one enrolled and never heard since, one that checked in with an empty status
        await using var server = await EdgeServer.StartAsync();
        await ActiveAsync(server, "SN-STALE", 55);
        server.Clock.Advance(TimeSpan.FromHours(25));
        await ActiveAsync(server, "SN-FULL", 95);
        await ActiveAsync(server, "SN-LOW", 10);
        var missingApps = await server.EnrollAsync("SN-DRIFT");
        var declarations = await server.DeclarationsAsync(missingApps.DeviceSecret);
        var drifted = CheckinTests.CompliantStatus(declarations) with { Apps = [] };
        drifted = drifted with { Battery = drifted.Battery! with { Level = 30 } };
        await server.CheckinOkAsync(missingApps.DeviceSecret, new CheckinRequest { DeclarationsToken = declarations.Token, Status = drifted });
        await server.EnrollAsync("SN-QUIET");
        var empty = await server.EnrollAsync("SN-EMPTY");
        await server.CheckinOkAsync(empty.DeviceSecret, new CheckinRequest { Status = new DeviceStatus() });
        using var viewer = await SupervisorPagesTests.SignedInAsync(server, "vic", SiteUserRoles.Viewer);
        server.Clock.Advance(Supervisor.OverviewReader.Freshness);

        // Act
        var overview = await (await viewer.GetAsync("/")).Content.ReadAsStringAsync();
        var drift = server.Get<IDriftReport>().Drift();

        // Assert
        var tiles = Tiles(overview);
        Assert.Equal((6, 2, 1, 2, 1), (tiles["devices"], tiles["compliant"], tiles["non-compliant"], tiles["unknown"], tiles["stale"]));
        Assert.Equal((drift.Devices, drift.Compliant, drift.NonCompliant.Count, drift.Unknown.Count, drift.Stale.Count),
            (tiles["devices"], tiles["compliant"], tiles["non-compliant"], tiles["unknown"], tiles["stale"]));
        Assert.Equal([("0–19 %", 1), ("20–49 %", 1), ("50–79 %", 1), ("80–100 %", 1)], Bars(overview, "charge"));
        Assert.Equal(6, Bars(overview, "states").Sum(b => b.Value));
    }

    private static Dictionary<string, int> Tiles(string html) =>
        Tile().Matches(html).ToDictionary(m => m.Groups["name"].Value, m => int.Parse(m.Groups["count"].Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);

    private static List<(string Label, int Value)> Bars(string html, string chart)
    {
        var start = html.IndexOf($"data-chart=\"{chart}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no {chart} chart");
        var end = html.IndexOf("</svg>", start, StringComparison.Ordinal);
        return Bar().Matches(html[start..end])
            .Select(m => (WebUtility.HtmlDecode(m.Groups["label"].Value), int.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))
            .ToList();
    }

    [GeneratedRegex("data-figure=\"(?<name>[a-z-]+)\"><span class=\"num\">(?<count>[0-9]+)</span>", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Tile();

    [GeneratedRegex("data-label=\"(?<label>[^\"]*)\" data-value=\"(?<value>[0-9]+)\"", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Bar();
}
