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

    [Fact]
    public async Task A_tls_key_or_a_data_directory_others_may_read_stops_the_start_naming_each_and_its_chmod()
    {
        // Arrange: a key file written with the umask's mode, and a data directory made by hand with it
        var key = Path.Combine(_directory.Path, "hub.key");
        await File.WriteAllTextAsync(key, "-----BEGIN PRIVATE KEY-----");
        File.SetUnixFileMode(key, OwnerFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var data = Path.Combine(_directory.Path, "hub");
        Directory.CreateDirectory(data, OwnerDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        // Act
        var refused = await Assert.ThrowsAsync<TooOpenFileException>(() => CloudHost.BuildAsync(
            ["--database", data, "--rest-url", "http://127.0.0.1:0", "--grpc-url", "http://127.0.0.1:0", "--tls-cert", Path.Combine(_directory.Path, "hub.pem"), "--tls-key", key]));

        // Assert: both named with their fix, nothing made inside the directory
        Assert.Equal(
            [
                $"{data} is open to other accounts (mode 0755); it must be readable by this service's account alone: run chmod 700 {data}",
                $"{key} is open to other accounts (mode 0644); it must be readable by this service's account alone: run chmod 600 {key}",
            ],
            refused.Problems);
        Assert.Empty(Directory.EnumerateFileSystemEntries(data));
    }

    [Fact]
    public async Task An_owner_only_tls_key_and_a_database_file_in_a_shared_directory_pass_the_check()
    {
        // Arrange: the hub's database as a file in a directory others may enter (a file names no data directory of the hub's)
        var shared = Path.Combine(_directory.Path, "shared");
        Directory.CreateDirectory(shared, OwnerDirectory | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var key = Path.Combine(_directory.Path, "hub.key");
        await File.WriteAllTextAsync(key, "not read: the endpoints are plain http");
        File.SetUnixFileMode(key, OwnerFile);

        // Act
        await using var app = await CloudHost.BuildAsync(
            ["--database", Path.Combine(shared, "cloud.db"), "--rest-url", "http://127.0.0.1:0", "--grpc-url", "http://127.0.0.1:0", "--tls-key", key]);

        // Assert
        Assert.Equal(OwnerFile, File.GetUnixFileMode(Path.Combine(shared, "cloud.db")));
    }
}
