using EdgeMdm.Contracts.Sync;
using Google.Protobuf;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// Issue 27, signed desired state, across both real processes: a blueprint edited in the hub's feed table after the hub
/// signed it never reaches the floor; the appliance stops its feed there and says why.
/// </summary>
public sealed class SignedFeedTests
{
    [Fact]
    public async Task A_blueprint_edited_in_the_hubs_feed_table_is_refused_by_the_appliance_which_stops_its_feed_there()
    {
        // Arrange: a site whose feed holds a blueprint, then an enrollment token; the blueprint row is edited by SQL
        await using var hubWithSite = await HubWithSite.StartAsync("DC Signed");
        var (hub, siteId, credential, edgeDirectory) = hubWithSite;
        await hub.PutBlueprintAsync("pickers", 200);
        await hub.IssueTokenAsync(siteId, "pickers", 1);
        var edited = EditBlueprintRow(hubWithSite.HubDirectory, siteId);

        // Act
        await using var appliance = await ApplianceProcess.StartAsync(edgeDirectory, hub: (hub.GrpcUrl, credential));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!appliance.Log.Contains($"Refused the hub's feed change {edited}", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        var status = await Processes.RunAsync(Processes.EdgeDll, ["sync", "status", "--json", "--data-dir", edgeDirectory], TimeSpan.FromSeconds(60));

        // Assert
        Assert.Contains($"Refused the hub's feed change {edited}: its signature by key", appliance.Log, StringComparison.Ordinal);
        Assert.True(status.ExitCode == 0, status.Stderr);
        using var report = JsonDocument.Parse(status.Stdout);
        Assert.Equal(edited - 1, report.RootElement.GetProperty("feedPosition").GetUInt64());
        Assert.Contains("was refused", report.RootElement.GetProperty("failure").GetString(), StringComparison.Ordinal);
        using var edge = new SQLiteConnection(SyncLedger.EdgeDatabase(edgeDirectory));
        Assert.Equal(0, edge.ExecuteScalar<int>("SELECT count(*) FROM blueprints WHERE blueprint LIKE '%\"versionCode\":900%'"));
    }

    /// <summary>Raises the required version of the site's blueprint row in the hub's feed table, keeping its signature; returns its position.</summary>
    private static ulong EditBlueprintRow(string hubDirectory, string siteId)
    {
        using var db = new SQLiteConnection(SyncLedger.HubDatabase(hubDirectory));
        var row = db.Query<FeedRow>("SELECT position AS Position, change AS Change FROM feed WHERE site_id = ? ORDER BY position", siteId)
            .Select(r => (r.Position, Change: HubChange.Parser.ParseFrom(r.Change)))
            .Single(r => r.Change.ChangeCase == HubChange.ChangeOneofCase.BlueprintUpserted);
        row.Change.BlueprintUpserted.BlueprintJson = row.Change.BlueprintUpserted.BlueprintJson.Replace("\"versionCode\":200", "\"versionCode\":900", StringComparison.Ordinal);
        Assert.Contains("900", row.Change.BlueprintUpserted.BlueprintJson, StringComparison.Ordinal);
        db.Execute("UPDATE feed SET change = ? WHERE site_id = ? AND position = ?", row.Change.ToByteArray(), siteId, row.Position);
        return (ulong)row.Position;
    }

    private sealed class FeedRow
    {
        public long Position { get; set; }
        public byte[] Change { get; set; } = [];
    }
}
