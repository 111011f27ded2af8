namespace EdgeMdm.EndToEnd;

/// <summary>
/// A site's appliance replaced by a box restored from its backup while the hub kept what the old box sent after that
/// backup: the hub holds more of the site's log than the restored database ever numbered. Every change made on either box
/// must reach the hub exactly once: none numbered at or below what the hub holds (it would skip it as a duplicate), none
/// sent twice.
/// </summary>
public sealed class SiteRestoreTests
{
    [Fact]
    public async Task Changes_made_after_a_restore_reach_the_hub_once_and_the_hub_keeps_what_the_old_box_sent()
    {
        // Arrange: a site with one device, synced, backed up while it serves; then a device enrolled that reaches the hub
        using var data = new TempDirectory();
        var (oldBox, newBox, archive) = (Path.Combine(data.Path, "old"), Path.Combine(data.Path, "new"), Path.Combine(data.Path, "site.tar"));
        await using var hub = await HubProcess.StartAsync(Path.Combine(data.Path, "hub"));
        var (siteId, credential, token) = await hub.AddSiteWithFleetTokenAsync("DC Replaced");
        await using (var appliance = await ApplianceProcess.StartAsync(oldBox, hub: (hub.GrpcUrl, credential)))
        {
            using var client = appliance.CreateClient();
            await Enrollments.WhenAcceptedAsync(client, token, "SN-1");
            Assert.Equal(0, (await EdgeAsync(oldBox, "backup", archive)).ExitCode);
            await Enrollments.WhenAcceptedAsync(client, token, "SN-LATE");
            await SyncLedger.WaitConvergedAsync(oldBox, hub, siteId, TimeSpan.FromSeconds(30));
        }

        // Act: restore onto a new box; a change there before its first Hello, then it serves and enrolls one more device
        var restore = await EdgeAsync(newBox, "restore", archive);
        Assert.True(restore.ExitCode == 0, restore.Stderr);
        var quarantine = await EdgeAsync(newBox, "devices", "set-state", "SN-1", "Quarantined", "--reason", "before the first hello");
        Assert.True(quarantine.ExitCode == 0, quarantine.Stderr);
        await using var replacement = await ApplianceProcess.StartAsync(newBox, hub: (hub.GrpcUrl, credential));
        using (var client = replacement.CreateClient())
            await Enrollments.WhenAcceptedAsync(client, token, "SN-NEW");
        await SyncLedger.WaitConvergedAsync(newBox, hub, siteId, TimeSpan.FromSeconds(30));

        // Assert: each change once at the hub (the snapshot's lines say so in their reason); SN-1 as the site has it; the
        // device the old box enrolled after the backup kept as it last reported
        using var db = new SQLiteConnection(SyncLedger.HubDatabase(Path.Combine(data.Path, "hub")));
        var devices = LedgerRows.HubDevices(db, siteId).ToDictionary(d => d.Serial, StringComparer.Ordinal);
        Assert.Equal(["SN-1", "SN-LATE", "SN-NEW"], devices.Keys.Order(StringComparer.Ordinal));
        var changes = db.Query<TransitionCount>(
            "SELECT d.serial AS Serial, t.to_state AS ToState, count(*) AS Count FROM transitions t JOIN devices d ON d.site_id = t.site_id AND d.device_id = t.device_id WHERE t.site_id = ? AND t.reason NOT LIKE 'sent again%' GROUP BY d.serial, t.to_state",
            siteId).Select(c => $"{c.Serial} {c.ToState} {c.Count}").Order(StringComparer.Ordinal);
        Assert.Equal(["SN-1 Enrolling 1", "SN-1 Quarantined 1", "SN-1 Staging 1", "SN-LATE Enrolling 1", "SN-LATE Staging 1", "SN-NEW Enrolling 1", "SN-NEW Staging 1"], changes);
        Assert.Equal(("Quarantined", "Staging"), (devices["SN-1"].State, devices["SN-LATE"].State));
        Assert.Single(replacement.Log.Split('\n'), l => l.Contains("it was restored from a backup", StringComparison.Ordinal));
    }

    private sealed class TransitionCount
    {
        public string Serial { get; set; } = "";

        public string ToState { get; set; } = "";

        public int Count { get; set; }
    }

    private static Task<CommandResult> EdgeAsync(string dataDir, params string[] args) =>
        Processes.RunAsync(Processes.EdgeDll, [.. args, "--data-dir", dataDir], TimeSpan.FromSeconds(60));
}
