using System.Text.Json;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Supervisor;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// <c>edgemdm-edge init</c>, as the package's postinst runs it: a site ready before the first <c>serve</c>, which then
/// serves the certificate and administrator init made. Shares the console collection with <see cref="CustodyCliTests"/>.
/// </summary>
[Collection(CustodyCliTests.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class InitCliTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "edgemdm-init-" + Guid.NewGuid().ToString("N"), "edge");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_dataDir)!, recursive: true);

    [Fact]
    public async Task Init_makes_a_site_that_serve_then_serves_and_a_second_init_changes_nothing()
    {
        // Act: a directory that does not exist yet, initialised twice
        var first = await OperatorCli.RunAsync("init", "--data-dir", _dataDir, "--json");
        var passwordFile = Path.Combine(_dataDir, BreakGlassAdmin.PasswordFile);
        var passwordLine = File.ReadAllLines(passwordFile).Single(line => line.StartsWith("password: ", StringComparison.Ordinal));
        var second = await OperatorCli.RunAsync("init", "--data-dir", _dataDir);

        // Assert: owner-only files, the current schema, the administrator's password file named
        Assert.Equal(0, first.Exit);
        using var made = JsonDocument.Parse(first.Out);
        Assert.True(made.RootElement.GetProperty("madeNow").GetBoolean());
        Assert.Equal(Migrations.All[^1].Version, made.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(passwordFile, made.RootElement.GetProperty("passwordFile").GetString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dataDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
        Assert.Equal(0, second.Exit);
        Assert.StartsWith("already initialised", second.Out, StringComparison.Ordinal);
        Assert.Contains(made.RootElement.GetProperty("pin").GetString()!, second.Out, StringComparison.Ordinal);
        Assert.Equal(passwordLine, File.ReadAllLines(passwordFile).Single(line => line.StartsWith("password: ", StringComparison.Ordinal)));

        // Assert: the appliance started on it serves init's certificate and knows init's administrator
        await using var server = await EdgeServer.StartAsync("--data-dir", _dataDir);
        Assert.Equal(made.RootElement.GetProperty("pin").GetString(), server.Pin);
        Assert.True(server.Get<BreakGlassAdmin>().Verify(BreakGlassAdmin.UserName, passwordLine["password: ".Length..]));
    }

    [Fact]
    public async Task Init_on_a_path_that_cannot_be_a_directory_is_one_line_and_exit_1()
    {
        // Arrange: a file where the data directory should be
        Directory.CreateDirectory(Path.GetDirectoryName(_dataDir)!);
        await File.WriteAllTextAsync(_dataDir, "not a directory");

        // Act
        var refused = await OperatorCli.RunAsync("init", "--data-dir", _dataDir);

        // Assert
        Assert.Equal(1, refused.Exit);
        Assert.Single(refused.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("the data directory cannot be used", refused.Err, StringComparison.Ordinal);
    }
}
