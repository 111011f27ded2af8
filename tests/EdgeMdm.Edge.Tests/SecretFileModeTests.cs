using EdgeMdm.Edge.Hosting;
using EdgeMdm.Edge.Sync;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The appliance's secrets at rest on a real file system: what it creates is owner-only whatever the umask's mode would
/// have been, and a secret file or directory others may read stops the start, naming it and the fix.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecretFileModeTests : IDisposable
{
    /// <summary>The appliance's files that hold secrets, under its data directory.</summary>
    private static readonly string[] SecretFilesInData =
        ["edge.db", "edge.db-wal", "edge.db-shm", "tls/site-ca.key", "tls/server.key", "operator.token", "break-glass-admin.txt"];

    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerDirectory = OwnerFile | UnixFileMode.UserExecute;
    private const UnixFileMode WorldReadableFile = OwnerFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-modes-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [SkippableFact]
    public async Task A_new_appliance_makes_its_database_key_ring_keys_and_credential_files_owner_only()
    {
        Skip.If(OperatingSystem.IsWindows(), "file modes are a Unix matter");
        // Arrange: proof that this process's umask lets an ordinary file be read by others (else the test proves nothing)
        var control = Path.Combine(_directory, "control.txt");
        await File.WriteAllTextAsync(control, "x");
        Assert.NotEqual(UnixFileMode.None, File.GetUnixFileMode(control) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead));
        var brokerPasswords = Path.Combine(_directory, "broker", "passwords");

        // Act
        await using var server = await EdgeServer.StartAsync(
            "--mqtt-external", "127.0.0.1:1", "--mqtt-external-user", "edgemdm-appliance", "--mqtt-external-password", "appliance-broker-pw",
            "--mqtt-external-password-file", brokerPasswords);
        server.Get<IDataProtectionProvider>().CreateProtector("test").Protect("makes a key");
        await WaitForAsync(brokerPasswords);

        // Assert
        var data = server.DataDir;
        foreach (var directory in new[] { data, Path.Combine(data, "keys"), Path.Combine(data, "tls") })
            Assert.Equal((directory, OwnerDirectory), (directory, File.GetUnixFileMode(directory)));
        var files = SecretFilesInData
            .Select(f => Path.Combine(data, f))
            .Concat(Directory.GetFiles(Path.Combine(data, "keys"), "*.xml"))
            .Append(brokerPasswords)
            .ToList();
        Assert.Contains(files, f => f.EndsWith(".xml", StringComparison.Ordinal));
        foreach (var file in files)
            Assert.Equal((file, OwnerFile), (file, File.GetUnixFileMode(file)));
    }

    [SkippableFact]
    public void A_database_file_or_key_ring_others_may_read_stops_the_start_naming_each_and_its_chmod()
    {
        Skip.If(OperatingSystem.IsWindows(), "file modes are a Unix matter");
        // Arrange: an appliance's data as an older version (or a careless copy) left it
        var database = Path.Combine(_directory, "edge.db");
        File.WriteAllBytes(database, []);
        File.SetUnixFileMode(database, WorldReadableFile);
        var keys = Directory.CreateDirectory(Path.Combine(_directory, "keys"), OwnerDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute).FullName;
        var token = Path.Combine(_directory, "operator.token");
        File.WriteAllText(token, "secret-operator-token");
        File.SetUnixFileMode(token, OwnerFile);

        // Act
        var refused = Assert.Throws<TooOpenFileException>(() => EdgeHost.Build(["--data-dir", _directory, "--urls", "http://127.0.0.1:0"]));

        // Assert: both named with their fix, the owner-only token not, and nothing was opened or written
        Assert.Equal(2, refused.Problems.Count);
        Assert.Contains(refused.Problems, p => p.StartsWith(database + " is open to other accounts (mode 0644)", StringComparison.Ordinal) && p.EndsWith("run chmod 600 " + database, StringComparison.Ordinal));
        Assert.Contains(refused.Problems, p => p.StartsWith(keys + " is open to other accounts (mode 0750)", StringComparison.Ordinal) && p.EndsWith("run chmod 700 " + keys, StringComparison.Ordinal));
        Assert.Equal(0, new FileInfo(database).Length);
    }

    [SkippableFact]
    public async Task The_site_credential_comes_from_an_owner_only_file_and_a_file_others_may_read_is_refused()
    {
        Skip.If(OperatingSystem.IsWindows(), "file modes are a Unix matter");
        // Arrange
        var credential = await SecretFileAsync("site-credential", "site-credential-from-file\n", OwnerFile);
        var open = await SecretFileAsync("open-credential", "site-credential-readable-by-all\n", WorldReadableFile);
        string[] hub = ["--hub", "http://127.0.0.1:1", "--sync-retry-max", "3600"];

        // Act
        await using var server = await EdgeServer.StartAsync([.. hub, "--site-credential-file", credential]);
        var tooOpen = await RefusedAsync([.. hub, "--site-credential-file", open]);
        var missing = await RefusedAsync([.. hub, "--site-credential-file", Path.Combine(_directory, "none")]);
        var both = await RefusedAsync([.. hub, "--site-credential-file", credential, "--site-credential", "on-the-command-line"]);

        // Assert
        Assert.Equal("site-credential-from-file", server.Get<IOptions<SyncOptions>>().Value.Credential);
        Assert.Contains($"Edge:SiteCredentialFile (--site-credential-file): {open} is open to other accounts (mode 0644)", tooOpen, StringComparison.Ordinal);
        Assert.Contains($"run chmod 600 {open}", tooOpen, StringComparison.Ordinal);
        Assert.DoesNotContain("readable-by-all", tooOpen, StringComparison.Ordinal);
        Assert.Contains("Edge:SiteCredentialFile (--site-credential-file): no file " + Path.Combine(_directory, "none"), missing, StringComparison.Ordinal);
        Assert.Contains("not both", both, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_external_broker_password_comes_from_an_owner_only_file_and_the_switch_on_the_command_line_still_works()
    {
        Skip.If(OperatingSystem.IsWindows(), "file modes are a Unix matter");
        // Arrange
        var password = await SecretFileAsync("broker-password", "broker-password-from-file\n", OwnerFile);
        var open = await SecretFileAsync("open-broker-password", "broker-password-readable-by-all\n", WorldReadableFile);
        string[] broker = ["--mqtt-external", "127.0.0.1:1", "--mqtt-external-user", "edgemdm-appliance", "--mqtt-external-password-file", Path.Combine(_directory, "passwords")];

        // Act
        await using (var fromFile = await EdgeServer.StartAsync([.. broker, "--mqtt-external-credential-file", password]))
            Assert.Equal("broker-password-from-file", fromFile.Get<IOptions<MqttOptions>>().Value.ExternalLoginPassword);
        await using (var fromSwitch = await EdgeServer.StartAsync([.. broker, "--mqtt-external-password", "on-the-command-line"]))
            Assert.Equal("on-the-command-line", fromSwitch.Get<IOptions<MqttOptions>>().Value.ExternalLoginPassword);
        var tooOpen = await RefusedAsync([.. broker, "--mqtt-external-credential-file", open]);
        var both = await RefusedAsync([.. broker, "--mqtt-external-credential-file", password, "--mqtt-external-password", "on-the-command-line"]);

        // Assert
        Assert.Contains($"Edge:Mqtt:ExternalCredentialFile (--mqtt-external-credential-file): {open} is open to other accounts (mode 0644)", tooOpen, StringComparison.Ordinal);
        Assert.Contains($"run chmod 600 {open}", tooOpen, StringComparison.Ordinal);
        Assert.DoesNotContain("readable-by-all", tooOpen, StringComparison.Ordinal);
        Assert.Contains("not both", both, StringComparison.Ordinal);
    }

    /// <summary>A file of the test's directory holding <paramref name="text"/>, with <paramref name="mode"/>.</summary>
    private async Task<string> SecretFileAsync(string name, string text, UnixFileMode mode)
    {
        var path = Path.Combine(_directory, name);
        await File.WriteAllTextAsync(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    /// <summary>The failures that stopped an appliance with these settings from starting.</summary>
    private static async Task<string> RefusedAsync(string[] args)
    {
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var started = await EdgeServer.StartAsync(args);
        });
        return string.Join("; ", refused.Failures);
    }

    /// <summary>Waits for a file a background worker writes right after start (its first round runs at once).</summary>
    private static async Task WaitForAsync(string path)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!File.Exists(path))
            await Task.Delay(20, timeout.Token);
    }
}
