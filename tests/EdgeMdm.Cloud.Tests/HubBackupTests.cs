using EdgeMdm.Cloud.Backup;
using EdgeMdm.ServiceDefaults.Backups;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// <c>edgemdm-cloud backup</c> of a SQLite hub while it serves, and <c>restore</c>: the restored hub knows its sites by
/// their credentials and still opens what its key ring protected (it signs the feed with its protected key); a damaged
/// archive, a directory that holds a hub and a PostgreSQL hub are refused, nothing changed.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HubBackupTests : HubPerTest
{
    [Fact]
    public async Task A_backup_of_a_serving_hub_restores_as_a_hub_that_knows_its_sites_and_its_keys()
    {
        // Arrange: a site that synced; the backup taken while the hub serves
        using var scratch = new TempDirectory("edgemdm-hub-backup-");
        var archive = Path.Combine(scratch.Path, "hub.tar");
        var (site, sync) = await Hub.AddSiteAsync("DC Backed Up");
        var head = (await sync.Hello(site.SiteId)).FeedHead;

        // Act
        var manifest = HubBackupCommand.Backup(Hub.Directory, archive, DateTimeOffset.UtcNow);
        var restoredDirectory = Path.Combine(scratch.Path, "restored");
        var (restored, _) = HubBackupCommand.Restore(restoredDirectory, archive, replace: false);
        await using var hub = await RunningHub.StartAsync("--database", restoredDirectory);
        await hub.Store.Sites.RenameSiteAsync(TenantIds.Default, site.SiteId, "DC Restored");
        var restoredSync = hub.Sync(site.Credential);
        var hello = await restoredSync.Hello(site.SiteId);
        var pulled = (await restoredSync.PullAsync(head)).SelectMany(b => b.Changes).ToList();

        // Assert: owner-only; the database, key ring and manifest in it; the site and its signed feed as before
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(archive));
        Assert.Equal(("hub", null), (manifest.Kind, manifest.SiteId));
        Assert.Contains(manifest.Files, f => f.Path is "cloud.db");
        Assert.Contains(manifest.Files, f => f.Path.StartsWith("keys/", StringComparison.Ordinal));
        Assert.Equal(manifest.Files.Count, restored.Files.Count);
        Assert.Equal(head + 1, hello.FeedHead);
        var renamed = Assert.Single(pulled);
        Assert.Equal("DC Restored", renamed.SiteRenamed.Name);
        Assert.False(renamed.Signature.IsEmpty);
    }

    [Fact]
    public async Task Restore_refuses_a_damaged_archive_a_hub_s_directory_and_postgres_and_changes_nothing()
    {
        // Arrange
        using var scratch = new TempDirectory("edgemdm-hub-backup-");
        var archive = Path.Combine(scratch.Path, "hub.tar");
        await Hub.AddSiteAsync("DC Kept");
        HubBackupCommand.Backup(Hub.Directory, archive, DateTimeOffset.UtcNow);
        var damaged = Path.Combine(scratch.Path, "damaged.tar");
        var bytes = await File.ReadAllBytesAsync(archive);
        bytes[bytes.Length / 3] ^= 0x5a;
        await File.WriteAllBytesAsync(damaged, bytes);
        var target = Path.Combine(scratch.Path, "restored");
        var before = Directory.GetFiles(Hub.Directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

        // Act
        var refusals = new[]
        {
            Assert.Throws<BackupRefusedException>(() => HubBackupCommand.Restore(target, damaged, replace: false)),
            Assert.Throws<BackupRefusedException>(() => HubBackupCommand.Restore(Hub.Directory, archive, replace: false)),
            Assert.Throws<BackupRefusedException>(() => HubBackupCommand.Restore("Host=127.0.0.1;Database=hub", archive, replace: false)),
            Assert.Throws<BackupRefusedException>(() => HubBackupCommand.Backup("Host=127.0.0.1;Database=hub", archive, DateTimeOffset.UtcNow)),
        };

        // Assert
        Assert.Contains("damaged", refusals[0].Message, StringComparison.Ordinal);
        Assert.Contains("add --force", refusals[1].Message, StringComparison.Ordinal);
        Assert.All(refusals[2..], r => Assert.Contains("pg_dump", r.Message, StringComparison.Ordinal));
        // --database DIR makes the directory, as the hub does; the refused restore leaves it empty, and nothing beside it.
        Assert.Empty(Directory.GetFileSystemEntries(target));
        Assert.Equal(["damaged.tar", "hub.tar", "restored"], Directory.GetFileSystemEntries(scratch.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(before, Directory.GetFiles(Hub.Directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
    }
}
