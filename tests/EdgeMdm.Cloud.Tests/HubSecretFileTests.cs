using EdgeMdm.Cloud.Hosting;
using EdgeMdm.ServiceDefaults.OwnerOnly;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The hub's secrets at rest on a real file system: its SQLite database and Data Protection key ring are owner-only
/// whatever the umask's mode would have been, and one others may read stops the start, naming it and the fix.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HubSecretFileTests : IDisposable
{
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerDirectory = OwnerFile | UnixFileMode.UserExecute;

    private static readonly string[] DatabaseFiles = ["cloud.db", "cloud.db-wal", "cloud.db-shm"];

    private readonly TempDirectory _directory = new("edgemdm-hub-modes-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_new_hub_makes_its_database_and_key_ring_owner_only()
    {
        // Arrange: proof that this process's umask lets an ordinary file be read by others (else the test proves nothing)
        var control = Path.Combine(_directory.Path, "control.txt");
        await File.WriteAllTextAsync(control, "x");
        Assert.NotEqual(UnixFileMode.None, File.GetUnixFileMode(control) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead));

        // Act: the hub starts (its signing key, protected at start, makes the key ring's first key), and a session is
        // open, so SQLite's -wal and -shm files are there
        await using var hub = await RunningHub.StartAsync();
        await using var session = await hub.Store.Database.BeginAsync(write: true, CancellationToken.None);
        await session.ExecuteAsync("DELETE FROM web_sessions WHERE key_hash = ?", "none");

        // Assert
        var keys = Path.Combine(hub.Directory, "keys");
        Assert.Equal(OwnerDirectory, File.GetUnixFileMode(keys));
        var files = DatabaseFiles.Select(f => Path.Combine(hub.Directory, f)).Concat(Directory.GetFiles(keys, "*.xml")).ToList();
        Assert.Equal(4, files.Count(File.Exists));
        foreach (var file in files)
            Assert.Equal((file, OwnerFile), (file, File.GetUnixFileMode(file)));
    }

    [Fact]
    public async Task A_database_others_may_read_stops_the_start_naming_it_and_its_chmod()
    {
        // Arrange: a database an older hub made with the umask's mode
        var database = Path.Combine(_directory.Path, "cloud.db");
        await File.WriteAllBytesAsync(database, []);
        File.SetUnixFileMode(database, OwnerFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        // Act
        var refused = await Assert.ThrowsAsync<TooOpenFileException>(() =>
            CloudHost.BuildAsync(["--database", _directory.Path, "--rest-url", "http://127.0.0.1:0", "--grpc-url", "http://127.0.0.1:0"]));

        // Assert: named with its fix, and left as it was (not migrated)
        Assert.Equal($"{database} is open to other accounts (mode 0644); it must be readable by this service's account alone: run chmod 600 {database}", Assert.Single(refused.Problems));
        Assert.Equal(0, new FileInfo(database).Length);
    }
}
