namespace EdgeMdm.Cli.Tests;

public sealed class ErrorTests : IDisposable
{
    private readonly CliRun _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task An_unreachable_hub_is_one_line_naming_its_url()
    {
        // Arrange
        var url = FakeHub.UnusedUrl();
        var file = _cli.WriteFile("blueprints.yaml", "blueprints: []\n");

        // Act
        var sites = await _cli.RunAsync("sites", "list", "--server", url.ToString(), "--token", FakeHub.ApiToken);
        var apply = await _cli.RunAsync("blueprints", "apply", "-f", file, "--server", url.ToString(), "--token", FakeHub.ApiToken);

        // Assert
        Assert.Equal(1, sites.Exit);
        var line = Assert.Single(sites.ErrLines);
        Assert.StartsWith($"edgemdm: cannot reach the hub at {url}", line, StringComparison.Ordinal);
        Assert.Equal(1, apply.Exit);
        Assert.Single(apply.ErrLines);
    }

    [Fact]
    public async Task A_refused_token_is_one_line()
    {
        // Arrange
        await using var hub = await FakeHub.StartAsync();
        _cli.Environment["EDGEMDM_SERVER"] = hub.Url.ToString();
        _cli.Environment["EDGEMDM_TOKEN"] = "not-the-token";
        var file = Path.Combine(AppContext.BaseDirectory, "testdata", "blueprints-v1.yaml");

        // Act
        var results = new[]
        {
            await _cli.RunAsync("sites", "list"),
            await _cli.RunAsync("devices", "list", "--json"),
            await _cli.RunAsync("blueprints", "apply", "-f", file),
        };

        // Assert
        foreach (var result in results)
        {
            Assert.Equal(1, result.Exit);
            Assert.Equal(["edgemdm: Unauthorized: unknown or missing API token"], result.ErrLines);
            Assert.Empty(result.Out);
        }

        Assert.Empty(hub.Blueprints);
    }

    [Fact]
    public async Task A_server_that_is_not_a_url_is_a_usage_error()
    {
        // Act
        var result = await _cli.RunAsync("sites", "list", "--server", "hub.example", "--token", "t");

        // Assert
        Assert.Equal(2, result.Exit);
        Assert.Equal(["edgemdm: server 'hub.example' is not an http:// or https:// URL"], result.ErrLines);
    }

    [Theory]
    [InlineData("nosuch", "Unrecognized command or argument 'nosuch'")]
    [InlineData("sites", "Required command was not provided")]
    [InlineData("tokens create --site s", "Option '--group' is required")]
    public async Task Bad_usage_is_one_line_and_exit_2(string args, string expected)
    {
        // Act
        var result = await _cli.RunAsync(args.Split(' '));

        // Assert
        Assert.Equal(2, result.Exit);
        var line = Assert.Single(result.ErrLines);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_goes_to_the_given_writer()
    {
        // Act
        var result = await _cli.RunAsync("--help");

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Contains("blueprints", result.Out, StringComparison.Ordinal);
        Assert.Empty(result.Err);
    }

    [Fact]
    public async Task A_broken_credential_file_is_one_line()
    {
        // Arrange
        Directory.CreateDirectory(Path.GetDirectoryName(_cli.CredentialsPath)!);
        await File.WriteAllTextAsync(_cli.CredentialsPath, "{not json");

        // Act
        var result = await _cli.RunAsync("sites", "list");

        // Assert
        Assert.Equal(1, result.Exit);
        var line = Assert.Single(result.ErrLines);
        Assert.Contains("is not valid JSON", line, StringComparison.Ordinal);
    }
}
