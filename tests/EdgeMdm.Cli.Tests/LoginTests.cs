using System.Text.Json;

namespace EdgeMdm.Cli.Tests;

public sealed class LoginTests : IAsyncLifetime, IDisposable
{
    private readonly CliRun _cli = new();
    private FakeHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FakeHub.StartAsync();

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Login_writes_a_credential_file_only_its_owner_can_read()
    {
        // Act
        var result = await _cli.RunAsync("login", "--server", _hub.Url.ToString(), "--token", FakeHub.ApiToken);

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Contains("signed in to", result.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(_cli.CredentialsPath));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cli.CredentialsPath));
        using var stored = JsonDocument.Parse(File.ReadAllText(_cli.CredentialsPath));
        Assert.Equal(FakeHub.ApiToken, stored.RootElement.GetProperty("token").GetString());
        Assert.Equal(_hub.Url, new Uri(stored.RootElement.GetProperty("server").GetString()!));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_cli.CredentialsPath)!, "*.tmp"));
    }

    [Fact]
    public async Task Commands_after_login_use_the_stored_credentials()
    {
        // Arrange
        await _cli.LoginAsync(_hub);

        // Act
        var result = await _cli.RunAsync("sites", "list");

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.StartsWith("SITE", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_again_replaces_the_file_atomically()
    {
        // Arrange
        await _cli.LoginAsync(_hub);

        // Act
        var result = await _cli.RunAsync("login", "--server", _hub.Url.ToString(), "--token", FakeHub.ApiToken, "--credentials", _cli.CredentialsPath);

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(_cli.CredentialsPath)!));
    }

    [Fact]
    public async Task Login_with_a_refused_token_writes_nothing_and_says_so_in_one_line()
    {
        // Act
        var result = await _cli.RunAsync("login", "--server", _hub.Url.ToString(), "--token", "wrong-token");

        // Assert
        Assert.Equal(1, result.Exit);
        Assert.Equal(["edgemdm: Unauthorized: unknown or missing API token"], result.ErrLines);
        Assert.False(File.Exists(_cli.CredentialsPath));
    }

    [Fact]
    public async Task Login_without_token_is_a_usage_error()
    {
        // Act
        var result = await _cli.RunAsync("login", "--server", _hub.Url.ToString());

        // Assert
        Assert.Equal(2, result.Exit);
        Assert.Equal(["edgemdm: login needs --server URL and either --user NAME or --token T"], result.ErrLines);
    }

    [Fact]
    public async Task Without_credentials_a_command_says_not_signed_in()
    {
        // Act
        var result = await _cli.RunAsync("sites", "list");

        // Assert
        Assert.Equal(1, result.Exit);
        Assert.Equal(["edgemdm: not signed in: run 'edgemdm login --server URL --user NAME' (or --token T)"], result.ErrLines);
        Assert.Empty(_hub.Requests);
    }

    [Fact]
    public async Task Server_and_token_from_the_environment_need_no_file()
    {
        // Arrange
        _cli.Environment["EDGEMDM_SERVER"] = _hub.Url.ToString();
        _cli.Environment["EDGEMDM_TOKEN"] = FakeHub.ApiToken;

        // Act
        var result = await _cli.RunAsync("sites", "list", "--json");

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(result.Out).RootElement.ValueKind);
    }

    [Fact]
    public async Task Token_option_overrides_the_stored_one()
    {
        // Arrange
        await _cli.LoginAsync(_hub);

        // Act
        var result = await _cli.RunAsync("sites", "list", "--token", "revoked-token");

        // Assert
        Assert.Equal(1, result.Exit);
        Assert.Single(result.ErrLines);
        Assert.StartsWith("edgemdm: Unauthorized:", result.Err, StringComparison.Ordinal);
    }
}
