namespace EdgeMdm.Cli.Tests;

public sealed class LoginTests : CliTest
{
    [Fact]
    public async Task Login_writes_a_credential_file_only_its_owner_can_read()
    {
        // Act
        var result = await Cli.RunAsync("login", "--server", Hub.Url.ToString(), "--token", FakeHub.ApiToken);

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Contains("signed in to", result.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Cli.CredentialsPath));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Cli.CredentialsPath));
        using var stored = JsonDocument.Parse(File.ReadAllText(Cli.CredentialsPath));
        Assert.Equal(FakeHub.ApiToken, stored.RootElement.GetProperty("token").GetString());
        Assert.Equal(Hub.Url, new Uri(stored.RootElement.GetProperty("server").GetString()!));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(Cli.CredentialsPath)!, "*.tmp"));
    }

    [Fact]
    public async Task Commands_after_login_use_the_stored_credentials()
    {
        // Arrange
        await Cli.LoginAsync(Hub);

        // Act
        var result = await Cli.RunAsync("sites", "list");

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.StartsWith("SITE", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_again_replaces_the_file_atomically()
    {
        // Arrange
        await Cli.LoginAsync(Hub);

        // Act
        var result = await Cli.RunAsync("login", "--server", Hub.Url.ToString(), "--token", FakeHub.ApiToken, "--credentials", Cli.CredentialsPath);

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(Cli.CredentialsPath)!));
    }

    [Fact]
    public async Task Login_with_a_refused_token_writes_nothing_and_says_so_in_one_line()
    {
        // Act
        var result = await Cli.RunAsync("login", "--server", Hub.Url.ToString(), "--token", "wrong-token");

        // Assert
        Assert.Equal(1, result.Exit);
        Assert.Equal(["edgemdm: Unauthorized: unknown or missing API token"], result.ErrLines);
        Assert.False(File.Exists(Cli.CredentialsPath));
    }

    [Fact]
    public async Task Without_credentials_a_command_says_not_signed_in()
    {
        // Act
        var result = await Cli.RunAsync("sites", "list");

        // Assert
        Assert.Equal(1, result.Exit);
        Assert.Equal(["edgemdm: not signed in: run 'edgemdm login --server URL --user NAME' (or --token T)"], result.ErrLines);
        Assert.Empty(Hub.Requests);
    }

    [Fact]
    public async Task Server_and_token_from_the_environment_need_no_file()
    {
        // Arrange
        Cli.Environment["EDGEMDM_SERVER"] = Hub.Url.ToString();
        Cli.Environment["EDGEMDM_TOKEN"] = FakeHub.ApiToken;

        // Act
        var result = await Cli.RunAsync("sites", "list", "--json");

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(result.Out).RootElement.ValueKind);
    }

    [Fact]
    public async Task Token_option_overrides_the_stored_one()
    {
        // Arrange
        await Cli.LoginAsync(Hub);

        // Act
        var result = await Cli.RunAsync("sites", "list", "--token", "revoked-token");

        // Assert
        Assert.Equal(1, result.Exit);
        Assert.Single(result.ErrLines);
        Assert.StartsWith("edgemdm: Unauthorized:", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_with_a_token_prints_its_role_and_expiry_and_whoami_shows_them()
    {
        // Act
        var login = await Cli.RunAsync("login", "--server", Hub.Url.ToString(), "--token", FakeHub.ApiToken);
        var whoami = await Cli.RunAsync("whoami");
        var json = await Cli.RunAsync("whoami", "--json");

        // Assert
        Assert.Equal(0, login.Exit);
        Assert.Contains("as tests (tenant default, site-operator at lyon-dc, until ", login.Out, StringComparison.Ordinal);
        Assert.Equal(0, whoami.Exit);
        Assert.Contains("tenant    default", whoami.Out, StringComparison.Ordinal);
        Assert.Contains("name      tests (API token)", whoami.Out, StringComparison.Ordinal);
        Assert.Contains("role      site-operator at lyon-dc", whoami.Out, StringComparison.Ordinal);
        Assert.Contains("until     " + CliText.Time(Hub.TokenExpiresAt), whoami.Out, StringComparison.Ordinal);
        using var parsed = JsonDocument.Parse(json.Out);
        Assert.Equal("site-operator", parsed.RootElement.GetProperty("role").GetString());
        Assert.Equal(Hub.TokenExpiresAt, parsed.RootElement.GetProperty("expiresAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task An_expired_stored_sign_in_asks_to_sign_in_again_in_one_line_without_calling_the_hub()
    {
        // Arrange: signed in, then the token's expiry passes
        await Cli.LoginAsync(Hub);
        var requestsBefore = Hub.Requests.Count;
        Cli.Time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Hub.TokenExpiresAt.AddSeconds(1));

        // Act
        var result = await Cli.RunAsync("sites", "list");

        // Assert
        Assert.Equal(1, result.Exit);
        var line = Assert.Single(result.ErrLines);
        Assert.StartsWith($"edgemdm: your sign-in to {Hub.Url} expired at {CliText.Time(Hub.TokenExpiresAt)}: run 'edgemdm login", line, StringComparison.Ordinal);
        Assert.Equal(requestsBefore, Hub.Requests.Count);
    }
}
