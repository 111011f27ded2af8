using System.Formats.Tar;
using System.Text.Json;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// <c>backup</c> while the appliance serves, <c>restore</c> onto a replacement data directory, <c>factory-reset</c>: the
/// restored appliance is the same site (same pin, devices check in with the credentials they hold), and an archive that is
/// damaged, foreign or aimed at a directory in use is refused with one line, nothing changed.
/// </summary>
[Collection(CustodyCliTests.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BackupTests
{
    [Fact]
    public async Task A_backup_taken_while_serving_brings_a_replacement_up_as_the_same_site()
    {
        // Arrange: a device enrolled and checked in, then a backup while the appliance serves and check-ins go on
        using var scratch = new Scratch();
        var archive = scratch.File("site.tar");
        string pin;
        EnrollResponse before;
        EnrollResponse after;
        await using (var server = await EdgeServer.StartAsync())
        {
            pin = server.TlsPin;
            before = await server.EnrollAsync("SN-BEFORE");
            await server.CheckinOkAsync(before.DeviceSecret, new CheckinRequest());
            var checkins = Enumerable.Range(0, 20).Select(_ => server.CheckinOkAsync(before.DeviceSecret, new CheckinRequest())).ToList();

            // Act
            var (exit, output, _) = await OperatorCli.RunAsync(server, "backup", archive);
            await Task.WhenAll(checkins);
            after = await server.EnrollAsync("SN-AFTER");

            // Assert: one file, owner-only, that says it holds secrets
            Assert.Equal(0, exit);
            Assert.Contains("backed up site dc-demo-01", output, StringComparison.Ordinal);
            Assert.Contains("holds the site's secrets", output, StringComparison.Ordinal);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(archive));
            Assert.Equal([archive], Directory.GetFileSystemEntries(scratch.Path));
            AssertHoldsWhatASiteNeeds(archive);
        }

        // Act: restore onto a new data directory and serve it
        var restored = EdgeServer.NewDataDirectory();
        var (restoreExit, restoreOutput, restoreError) = await RunAsync("restore", archive, "--data-dir", restored);
        Assert.True(restoreExit == 0, restoreError);
        Assert.Contains("restored site dc-demo-01", restoreOutput, StringComparison.Ordinal);
        await using var replacement = await EdgeServer.StartInAsync(restored, null);

        // Assert: the same pin, the device from before the backup checks in as it was; one enrolled after it is told to enroll again
        Assert.Equal(pin, replacement.TlsPin);
        await replacement.CheckinOkAsync(before.DeviceSecret, new CheckinRequest());
        Assert.Equal(before.DeviceId, replacement.Get<IDeviceQueries>().Device("SN-BEFORE")!.Device.DeviceId);
        using var unknown = await replacement.CheckinAsync(after.DeviceSecret, new CheckinRequest());
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Contains("enroll again", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(replacement.Get<EdgeStorage>().Outbox.RestoredThrough()); // until a hub's Hello says what it holds
    }

    [Fact]
    public async Task Restore_refuses_a_damaged_or_foreign_archive_or_a_directory_in_use_and_changes_nothing()
    {
        // Arrange
        using var scratch = new Scratch();
        var archive = scratch.File("site.tar");
        await using var server = await EdgeServer.StartAsync();
        Assert.Equal(0, (await OperatorCli.RunAsync(server, "backup", archive)).Exit);
        var damaged = scratch.File("damaged.tar");
        var bytes = await File.ReadAllBytesAsync(archive);
        bytes[bytes.Length / 2] ^= 0x5a;
        await File.WriteAllBytesAsync(damaged, bytes);
        var foreign = scratch.File("foreign.tar");
        await File.WriteAllTextAsync(foreign, "not a backup at all");
        var stranger = scratch.File("stranger.tar");
        await using (var tar = new TarWriter(File.Create(stranger)))
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "edge.db") { DataStream = new MemoryStream([1, 2, 3]) });
        var hubArchive = scratch.File("hub.tar");
        await WriteArchiveOfKindAsync(archive, hubArchive, "hub");
        var target = scratch.File("restored");

        // Act
        var refusals = new List<(int Exit, string Out, string Err)>();
        foreach (var file in new[] { damaged, foreign, stranger, hubArchive })
            refusals.Add(await RunAsync("restore", file, "--data-dir", target));
        var busy = await RunAsync("restore", archive, "--data-dir", server.DataDir, "--force");
        var busyReset = await RunAsync("factory-reset", "--data-dir", server.DataDir, "--confirm", "Demo distribution centre");

        // Assert: each one line and exit 1; no directory made, no staging left beside it; the serving one untouched
        Assert.All(refusals.Append(busy).Append(busyReset), r => Assert.Equal((1, 1), (r.Exit, r.Err.Trim().Split('\n').Length)));
        Assert.Contains("damaged", refusals[0].Err, StringComparison.Ordinal);
        Assert.Contains("not an EdgeMdm backup", refusals[1].Err, StringComparison.Ordinal);
        Assert.Contains("without its manifest", refusals[2].Err, StringComparison.Ordinal);
        Assert.Contains("backup of a hub, not of a site", refusals[3].Err, StringComparison.Ordinal);
        Assert.Contains("an appliance serves", busy.Err, StringComparison.Ordinal);
        Assert.Contains("an appliance serves", busyReset.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target));
        Assert.Equal(5, Directory.GetFileSystemEntries(scratch.Path).Length);
        Assert.True(File.Exists(EdgeDatabase.PathIn(server.DataDir)));
    }

    [Fact]
    public async Task Restore_into_a_directory_that_holds_a_site_needs_force_and_factory_reset_needs_the_site_name()
    {
        // Arrange: a backup, restored once
        using var scratch = new Scratch();
        var archive = scratch.File("site.tar");
        await using (var server = await EdgeServer.StartAsync())
            Assert.Equal(0, (await OperatorCli.RunAsync(server, "backup", archive)).Exit);
        var target = scratch.File("site");
        Assert.Equal(0, (await RunAsync("restore", archive, "--data-dir", target)).Exit);
        await File.WriteAllTextAsync(Path.Combine(target, "marker"), "left by the old box");

        // Act
        var again = await RunAsync("restore", archive, "--data-dir", target);
        var forced = await RunAsync("restore", archive, "--data-dir", target, "--force");
        var wrongName = await RunAsync("factory-reset", "--data-dir", target, "--confirm", "dc-demo-01");
        var filesBeforeReset = Directory.GetFiles(target, "*", SearchOption.AllDirectories).Length;
        var reset = await RunAsync("factory-reset", "--data-dir", target, "--confirm", "Demo distribution centre");

        // Assert
        Assert.Equal(1, again.Exit);
        Assert.Contains("add --force", again.Err, StringComparison.Ordinal);
        Assert.Equal(0, forced.Exit);
        Assert.Equal(1, wrongName.Exit);
        Assert.Contains("nothing was deleted", wrongName.Err, StringComparison.Ordinal);
        Assert.True(filesBeforeReset > 5);
        Assert.False(File.Exists(Path.Combine(target, "marker")), "--force replaces the directory as a whole");
        Assert.Equal(0, reset.Exit);
        Assert.Contains($"({filesBeforeReset} files)", reset.Out, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(target));
        Assert.Equal([target, archive], Directory.GetFileSystemEntries(scratch.Path).Order(StringComparer.Ordinal));
    }

    /// <summary>The keys behind the pin, the key ring, the break-glass password; not what a box makes fresh; the manifest last.</summary>
    private static void AssertHoldsWhatASiteNeeds(string archive)
    {
        using var tar = new TarReader(File.OpenRead(archive));
        var names = new List<string>();
        while (tar.GetNextEntry() is { } entry)
            names.Add(entry.Name);
        Assert.Contains("tls/server.key", names);
        Assert.Contains("tls/site-ca.key", names);
        Assert.Contains("break-glass-admin.txt", names);
        Assert.Contains(names, n => n.StartsWith("keys/", StringComparison.Ordinal));
        Assert.DoesNotContain("operator.token", names);
        Assert.DoesNotContain("serve.json", names);
        Assert.Equal(("edge.db", "manifest.json"), (names[0], names[^1]));
    }

    /// <summary>A copy of a good archive whose manifest says another kind: as a hub's archive given to a site's restore.</summary>
    private static async Task WriteArchiveOfKindAsync(string from, string to, string kind)
    {
        await using var reader = new TarReader(File.OpenRead(from));
        await using var writer = new TarWriter(File.Create(to), TarEntryFormat.Pax);
        while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
        {
            if (entry.Name is "manifest.json")
            {
                var manifest = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(entry.DataStream!)!;
                manifest["kind"] = JsonSerializer.SerializeToElement(kind);
                entry.DataStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(manifest));
            }

            await writer.WriteEntryAsync(entry);
        }
    }

    private static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => OperatorCli.RunAsync(args);

    private sealed class Scratch : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("edgemdm-backup-").FullName;

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
