namespace EdgeMdm.EndToEnd;

/// <summary>
/// A chain of custody recorded at the site (<c>edgemdm-edge custody record</c>) reaches the hub over sync, once each, and
/// <c>edgemdm custody verify</c> names each event edited, reordered or removed in the hub's own database afterwards.
/// </summary>
public sealed class CustodySyncTests
{
    /// <summary>The admin CLI, built beside the appliance (same configuration).</summary>
    private static readonly string AdminDll = Path.Combine(
        Path.GetDirectoryName(Processes.EdgeDll)!.Replace(Path.Combine("edge", "EdgeMdm.Edge"), Path.Combine("cloud", "EdgeMdm.Cli"), StringComparison.Ordinal),
        "edgemdm.dll");

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Tampering_with_synced_custody_rows_in_the_hub_database_is_named_by_edgemdm_custody_verify()
    {
        // Arrange: a hub, its site's appliance syncing, a device enrolled there with four hand-offs recorded by the operator
        await using var hubWithSite = await HubWithSite.StartAsync("DC Custody");
        var (hub, siteId, credential, edgeDirectory) = hubWithSite;
        await using var appliance = await ApplianceProcess.StartAsync(edgeDirectory, hub: (hub.GrpcUrl, credential));
        await hub.PutBlueprintAsync("pickers", 100);
        var token = await hub.IssueTokenAsync(siteId, "pickers", 1);
        using var http = appliance.CreateClient();
        await Enrollments.WhenAcceptedAsync(http, token, "SN-CUSTODY");
        foreach (var (from, to) in new[] { ("site", "courier"), ("courier", "repair depot"), ("repair depot", "courier"), ("courier", "site") })
        {
            var recorded = await EdgeAsync("custody", "record", "SN-CUSTODY", "--from", from, "--to", to, "--data-dir", edgeDirectory);
            Assert.True(recorded.ExitCode == 0, recorded.Stderr);
        }

        var battery = await EdgeAsync("custody", "record", "BAT-5", "--battery", "--from", "site", "--to", "recycler", "--data-dir", edgeDirectory);
        Assert.True(battery.ExitCode == 0, battery.Stderr);
        var deviceId = (await HubEventsAsync(hub, siteId, 5)).First(e => string.Equals(e!["subjectKind"]!.GetValue<string>(), "device", StringComparison.Ordinal))!["subject"]!.GetValue<string>();

        var clean = await AdminAsync(hub, "custody", "verify");
        Assert.Equal((0, "2 chains, 5 events, all verify"), (clean.ExitCode, clean.Stdout.Trim()));

        // Act: someone with the hub's database edits event 0, swaps events 1 and 2, and removes event 3
        using (var db = new SQLiteConnection(Path.Combine(hub.Database, "cloud.db")))
        {
            db.Execute("UPDATE custody_events SET note = 'nothing to see' WHERE subject = ? AND idx = 0", deviceId);
            db.Execute("UPDATE custody_events SET idx = 99 WHERE subject = ? AND idx = 1", deviceId);
            db.Execute("UPDATE custody_events SET idx = 1 WHERE subject = ? AND idx = 2", deviceId);
            db.Execute("UPDATE custody_events SET idx = 2 WHERE subject = ? AND idx = 99", deviceId);
            db.Execute("DELETE FROM custody_events WHERE subject = ? AND idx = 3", deviceId);
        }

        var verified = await AdminAsync(hub, "custody", "verify", "--site", siteId);

        // Assert
        Assert.Equal(1, verified.ExitCode);
        Assert.Equal(
            [$"{siteId} {deviceId} event 0: edited", $"{siteId} {deviceId} event 1: reordered", $"{siteId} {deviceId} event 2: reordered", $"{siteId} {deviceId} event 3: removed"],
            verified.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line[..line.IndexOf(" (", StringComparison.Ordinal)]));
        Assert.Equal("edgemdm: 4 problems in 1 of 2 chains", verified.Stderr.Trim());
        var export = await AdminAsync(hub, "custody", "export", "--site", siteId, "--device", "BAT-5");
        Assert.StartsWith("site,subject,subject_kind,index,at,from,to,", export.Stdout, StringComparison.Ordinal);
        Assert.Contains($"{siteId},BAT-5,battery,0,", export.Stdout, StringComparison.Ordinal);
    }

    private static Task<CommandResult> EdgeAsync(params string[] args) => Processes.RunAsync(Processes.EdgeDll, args, Patience);

    private static Task<CommandResult> AdminAsync(HubProcess hub, params string[] args) =>
        Processes.RunAsync(AdminDll, [.. args, "--server", hub.RestUrl.ToString(), "--token", hub.Rest.DefaultRequestHeaders.Authorization!.Parameter!], Patience);

    /// <summary>The site's custody events as the hub holds them, once it holds <paramref name="count"/>.</summary>
    private static async Task<JsonArray> HubEventsAsync(HubProcess hub, string siteId, int count)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var events = JsonNode.Parse(await hub.Rest.GetStringAsync(new Uri($"/api/v1/sites/{siteId}/custody", UriKind.Relative)))!.AsArray();
            if (events.Count >= count)
            {
                Assert.Equal(count, events.Count);
                return events;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the hub holds {events.Count} custody events, not {count}");
            await Task.Delay(200);
        }
    }
}
