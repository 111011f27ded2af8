using Npgsql;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// The hub's database restored from an older backup while a site works on (defect 10): site-owned records are the truth,
/// so the site sends them again and the hub converges with no manual step, on SQLite and on PostgreSQL.
/// </summary>
public sealed class HubRestoreTests
{
    [Fact]
    public async Task A_sqlite_hub_restored_from_an_older_backup_converges_on_the_site_again()
    {
        using var hubDir = new TempDirectory();
        using var backupDir = new TempDirectory();
        Directory.CreateDirectory(backupDir.Path);
        var database = SyncLedger.HubDatabase(hubDir.Path);
        await RunAsync(
            hubDir.Path,
            backup: () => CopySqlite(database, Path.Combine(backupDir.Path, "cloud.db")),
            restore: () => CopySqlite(Path.Combine(backupDir.Path, "cloud.db"), database),
            assertConverged: (siteDir, siteId) =>
            {
                using var hub = new SQLiteConnection(database);
                AssertHubHoldsSite(
                    siteDir,
                    LedgerRows.HubDevices(hub, siteId),
                    LedgerRows.HubCommands(hub, siteId).Select(c => c.View));
                return Task.CompletedTask;
            });
    }

    [SkippableFact]
    public async Task A_postgres_hub_restored_from_an_older_backup_converges_on_the_site_again()
    {
        await using var postgres = await ThrowawayPostgres.StartOrSkipAsync();
        var connectionString = await postgres.CreateDatabaseAsync();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await RunAsync(
            connectionString,
            backup: () => postgres.CopyDatabaseAsync(name, name + "_bak"),
            restore: () => postgres.CopyDatabaseAsync(name + "_bak", name),
            assertConverged: async (siteDir, siteId) =>
            {
                await using var hub = new NpgsqlConnection(connectionString + ";Pooling=false");
                await hub.OpenAsync();
                var devices = await LedgerRows.HubDevicesAsync(hub, siteId);
                var commands = await LedgerRows.HubCommandsAsync(hub, siteId);
                AssertHubHoldsSite(siteDir, devices, commands.Select(c => c.View));
            });
    }

    /// <summary>
    /// A site syncs; the hub is backed up; the site enrolls more devices, quarantines one and runs a command; the hub is put
    /// back to its backup. The site must notice, send again what it owns, and both must agree with nothing done by hand.
    /// </summary>
    private static async Task RunAsync(string database, Func<Task> backup, Func<Task> restore, Func<string, string, Task> assertConverged)
    {
        using var siteDir = new TempDirectory();
        var hub = await HubProcess.StartAsync(database);
        var (restUrl, grpcUrl) = (hub.RestUrl, hub.GrpcUrl);
        var (siteId, credential, token) = await hub.AddSiteWithFleetTokenAsync("DC Restored");
        await using var appliance = await ApplianceProcess.StartAsync(siteDir.Path, checkinIntervalSeconds: 1, hub: (grpcUrl, credential));
        try
        {
            await SyncLedger.WaitFeedAsync(siteDir.Path, SyncLedger.FirstFeedLimit);
            await Simulation.RunAsync(appliance, token, 10, "3s", TimeSpan.FromMinutes(2), "--serial-prefix", "OLD");
            await SyncLedger.WaitConvergedAsync(siteDir.Path, hub, siteId, TimeSpan.FromSeconds(60));

            await hub.DisposeAsync();
            await backup();
            hub = await HubProcess.StartAsync(database, restUrl, grpcUrl);

            // The site works on, and the hub acknowledges all of it.
            await Simulation.RunAsync(appliance, token, 10, "3s", TimeSpan.FromMinutes(2), "--serial-prefix", "NEW");
            var lost = (await EdgeAsync(siteDir.Path, "devices", "list", "--json")).Stdout.Split("\"deviceId\":\"")[1].Split('"')[0];
            // A simulated device may have finished its staging already; either way it ends up quarantined.
            await EdgeAsync(siteDir.Path, "devices", "set-state", lost, "Active", "--reason", "staged by hand");
            Assert.Equal(0, (await EdgeAsync(siteDir.Path, "devices", "set-state", lost, "Quarantined", "--reason", "left the site")).ExitCode);
            Assert.Equal(0, (await EdgeAsync(siteDir.Path, "commands", "send", "--device", lost, "ring")).ExitCode);
            await SyncLedger.WaitConvergedAsync(siteDir.Path, hub, siteId, TimeSpan.FromSeconds(60));

            await hub.DisposeAsync();
            await restore();
            hub = await HubProcess.StartAsync(database, restUrl, grpcUrl);
            // That the restore took the hub back below what it had acknowledged is what the site's error line below says;
            // asking the hub here would race the site, which reconnects and sends everything again within a second.

            await SyncLedger.WaitConvergedAsync(siteDir.Path, hub, siteId, TimeSpan.FromSeconds(60));
            await assertConverged(siteDir.Path, siteId);
            Assert.Single(appliance.Log.Split('\n'), l => l.Contains("but had acknowledged", StringComparison.Ordinal));

            // And it goes on syncing as before.
            await Simulation.RunAsync(appliance, token, 5, "2s", TimeSpan.FromMinutes(2), "--serial-prefix", "AFTER");
            await SyncLedger.WaitConvergedAsync(siteDir.Path, hub, siteId, TimeSpan.FromSeconds(60));
            await assertConverged(siteDir.Path, siteId);
        }
        finally
        {
            await hub.DisposeAsync();
        }
    }

    /// <summary>Every device and command of the site is at the hub as the site has it (the hub may also hold the snapshot's history lines).</summary>
    private static void AssertHubHoldsSite(string siteDir, IEnumerable<DeviceView> hubDevices, IEnumerable<CommandView> hubCommands)
    {
        using var edge = new SQLiteConnection(SyncLedger.EdgeDatabase(siteDir));
        // A device that enrolled but never checked in has no status yet: "{}" at the site, nothing at the hub.
        static DeviceView Comparable(DeviceView d) => d with { Status = d.Status is "{}" ? "" : d.Status };
        var siteDevices = LedgerRows.SiteDevices(edge)
            .Select(Comparable).OrderBy(d => d.DeviceId, StringComparer.Ordinal).ToList();
        Assert.Equal(siteDevices, hubDevices.Select(Comparable).OrderBy(d => d.DeviceId, StringComparer.Ordinal).ToList());
        var siteCommands = LedgerRows.SiteCommands(edge).OrderBy(c => c.CommandId, StringComparer.Ordinal).ToList();
        Assert.Equal(siteCommands, hubCommands.OrderBy(c => c.CommandId, StringComparer.Ordinal).ToList());
    }

    private static Task CopySqlite(string from, string to)
    {
        // Both hubs are stopped: the database is one file (its WAL checkpointed on close).
        File.Copy(from, to, overwrite: true);
        foreach (var suffix in new[] { "-wal", "-shm" })
            File.Delete(to + suffix);
        return Task.CompletedTask;
    }

    private static Task<CommandResult> EdgeAsync(string dataDir, params string[] args) =>
        Processes.RunAsync(Processes.EdgeDll, [.. args, "--data-dir", dataDir], TimeSpan.FromSeconds(60));
}
