namespace EdgeMdm.Cli.Tests;

/// <summary><c>login --user</c>, <c>accounts</c> and <c>site-users</c> against the hub's REST contract.</summary>
public sealed class PeopleTests : CliTest
{
    [Fact]
    public async Task Login_with_an_account_stores_the_token_the_hub_issued()
    {
        // Arrange
        Hub.Accounts["alice"] = "correct horse battery";
        Cli.Stdin = "correct horse battery\n";

        // Act
        var result = await Cli.RunAsync("login", "--server", Hub.Url.ToString(), "--user", "alice", "--password-stdin");
        var afterwards = await Cli.RunAsync("sites", "list");

        // Assert
        Assert.Equal(0, result.Exit);
        Assert.Contains("as alice (tenant default, operator, until ", result.Out, StringComparison.Ordinal);
        using var stored = JsonDocument.Parse(File.ReadAllText(Cli.CredentialsPath));
        Assert.Equal(FakeHub.ApiToken, stored.RootElement.GetProperty("token").GetString());
        Assert.Equal(["server", "token", "expiresAt"], stored.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(Hub.TokenExpiresAt, stored.RootElement.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal("correct horse battery", Hub.Bodies["/api/v1/login"]!["password"]!.GetValue<string>());
        Assert.Null(Hub.Bodies["/api/v1/login"]!["tenant"]);
        Assert.Equal(0, afterwards.Exit);
    }

    [Fact]
    public async Task Login_with_a_wrong_password_writes_nothing_and_says_so_in_one_line()
    {
        // Arrange
        Hub.Accounts["alice"] = "correct horse battery";
        Cli.Stdin = "wrong horse battery\n";

        // Act
        var result = await Cli.RunAsync("login", "--server", Hub.Url.ToString(), "--user", "alice", "--tenant", "default", "--password-stdin");

        // Assert
        Assert.Equal(1, result.Exit);
        Assert.Equal(["edgemdm: Unauthorized: unknown user or wrong password"], result.ErrLines);
        Assert.False(File.Exists(Cli.CredentialsPath));
    }

    [Theory]
    [InlineData(new string[0], "edgemdm: login needs --server URL and either --user NAME or --token T")]
    [InlineData(new[] { "--user", "alice", "--token", "t" }, "edgemdm: login needs --server URL and either --user NAME or --token T")]
    [InlineData(new[] { "--token", "t", "--tenant", "acme" }, "edgemdm: --tenant and --password-stdin go with --user")]
    [InlineData(new[] { "--user", "alice", "--password-stdin" }, "edgemdm: the password is empty")]
    [InlineData(new[] { "--user", "alice" }, "edgemdm: standard input is not a terminal: give --password-stdin to read the password from it")]
    public async Task Login_usage_errors_exit_2_and_ask_nothing_of_the_hub(string[] options, string error)
    {
        // Act
        var result = await Cli.RunAsync(["login", "--server", Hub.Url.ToString(), .. options]);

        // Assert
        Assert.Equal(2, result.Exit);
        Assert.Equal([error], result.ErrLines);
        Assert.Empty(Hub.Requests);
    }

    [Fact]
    public async Task Accounts_add_without_a_password_prints_the_generated_one_once()
    {
        // Arrange
        await Cli.LoginAsync(Hub);

        // Act
        var added = await Cli.RunAsync("accounts", "add", "bob");
        var listed = await Cli.RunAsync("accounts", "list", "--json");

        // Assert
        Assert.Equal(0, added.Exit);
        var password = Hub.Accounts["bob"];
        Assert.Contains($"password  {password}", added.Out, StringComparison.Ordinal);
        Assert.Null(Hub.Bodies["/api/v1/accounts"]!["password"]); // the hub made it up
        using var rows = JsonDocument.Parse(listed.Out);
        var row = Assert.Single(rows.RootElement.EnumerateArray());
        Assert.Equal("bob", row.GetProperty("userName").GetString());
        Assert.False(row.TryGetProperty("password", out _));
    }

    [Fact]
    public async Task Accounts_add_with_password_stdin_sends_it_and_prints_no_password()
    {
        // Arrange
        await Cli.LoginAsync(Hub);
        Cli.Stdin = "a chosen long password\n";

        // Act
        var added = await Cli.RunAsync("accounts", "add", "carol", "--password-stdin");

        // Assert
        Assert.Equal(0, added.Exit);
        Assert.Equal(["account   carol", "role      viewer"], added.OutLines);
        Assert.Equal("a chosen long password", Hub.Accounts["carol"]);
    }

    [Fact]
    public async Task Accounts_add_and_set_role_send_the_role_and_sites()
    {
        // Arrange
        await Cli.LoginAsync(Hub);

        // Act
        var added = await Cli.RunAsync("accounts", "add", "sara", "--role", "site-operator", "--site", "lyon-dc", "--site", "paris");
        var sent = Hub.Bodies["/api/v1/accounts"]!;
        var changed = await Cli.RunAsync("accounts", "set-role", "sara", "--role", "operator");

        // Assert
        Assert.Equal(0, added.Exit);
        Assert.Contains("role      site-operator at lyon-dc, paris", added.Out, StringComparison.Ordinal);
        Assert.Equal(("site-operator", "[\"lyon-dc\",\"paris\"]"), (sent["role"]!.GetValue<string>(), sent["sites"]!.ToJsonString()));
        Assert.Equal(0, changed.Exit);
        Assert.Equal(["account sara is now operator"], changed.OutLines);
        Assert.Equal("operator", Hub.Bodies["/api/v1/accounts/sara"]!["role"]!.GetValue<string>());
        Assert.Null(Hub.Bodies["/api/v1/accounts/sara"]!["sites"]);
    }

    [Fact]
    public async Task Accounts_list_and_remove()
    {
        // Arrange
        await Cli.LoginAsync(Hub);
        Hub.Accounts["alice"] = "x";
        Hub.Accounts["bob"] = "y";

        // Act
        var removed = await Cli.RunAsync("accounts", "remove", "alice");
        var removedAgain = await Cli.RunAsync("accounts", "remove", "alice");
        var listed = await Cli.RunAsync("accounts", "list");

        // Assert
        Assert.Equal((0, 1), (removed.Exit, removedAgain.Exit));
        Assert.Equal(["edgemdm: Not found: no account 'alice'"], removedAgain.ErrLines);
        Assert.Equal("USER", listed.OutLines[0].Split(' ')[0]);
        Assert.StartsWith("bob ", listed.OutLines[1], StringComparison.Ordinal);
        Assert.Equal(2, listed.OutLines.Count);
    }

    [Fact]
    public async Task Site_users_add_list_and_remove()
    {
        // Arrange
        await Cli.LoginAsync(Hub);
        Hub.Sites["lyon-dc"] = "Lyon DC";
        Cli.Stdin = "kim's long password\n";

        // Act
        var generated = await Cli.RunAsync("site-users", "add", "--site", "lyon-dc", "sam", "--role", "operator");
        var chosen = await Cli.RunAsync("site-users", "add", "--site", "lyon-dc", "kim", "--role", "supervisor", "--password-stdin", "--json");
        var promoted = await Cli.RunAsync("site-users", "add", "--site", "lyon-dc", "sam", "--role", "supervisor");
        var removed = await Cli.RunAsync("site-users", "remove", "--site", "lyon-dc", "kim");
        var listed = await Cli.RunAsync("site-users", "list", "--site", "lyon-dc", "--json");

        // Assert
        Assert.Equal((0, 0, 0, 0, 0), (generated.Exit, chosen.Exit, promoted.Exit, removed.Exit, listed.Exit));
        Assert.Equal("added sam (operator) at site lyon-dc", generated.OutLines[0]);
        Assert.StartsWith("password  generated-", generated.OutLines[1], StringComparison.Ordinal);
        using (var kim = JsonDocument.Parse(chosen.Out))
            Assert.False(kim.RootElement.TryGetProperty("password", out _));
        Assert.StartsWith("updated sam (supervisor)", promoted.OutLines[0], StringComparison.Ordinal);
        using var rows = JsonDocument.Parse(listed.Out);
        var sam = Assert.Single(rows.RootElement.EnumerateArray());
        Assert.Equal(("sam", "supervisor", "lyon-dc"), (sam.GetProperty("userName").GetString(), sam.GetProperty("role").GetString(), sam.GetProperty("siteId").GetString()));
    }

    [Fact]
    public async Task Site_users_refuse_an_unknown_role_before_asking_the_hub_and_report_an_unknown_site()
    {
        // Arrange
        await Cli.LoginAsync(Hub);
        var before = Hub.Requests.Count;

        // Act
        var badRole = await Cli.RunAsync("site-users", "add", "--site", "lyon-dc", "sam", "--role", "admin");
        var noSite = await Cli.RunAsync("site-users", "list", "--site", "nowhere");

        // Assert
        Assert.Equal(2, badRole.Exit);
        Assert.Single(badRole.ErrLines);
        Assert.Contains("admin", badRole.Err, StringComparison.Ordinal);
        Assert.Equal(1, noSite.Exit);
        Assert.Equal(["edgemdm: Not found: no site 'nowhere'"], noSite.ErrLines);
        Assert.Equal(before + 1, Hub.Requests.Count);
    }
}
