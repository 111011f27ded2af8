namespace EdgeMdm.Cli.Tests;

public sealed class SitesTests : SignedInCliTest
{
    [Fact]
    public async Task Sites_add_prints_id_and_credential_once_with_a_warning()
    {
        // Act
        var result = await Cli.RunAsync("sites", "add", "Lyon DC");

        // Assert
        Assert.Equal(0, result.Exit);
        var id = Assert.Single(Hub.Sites.Keys);
        Assert.Contains(id, result.Out, StringComparison.Ordinal);
        Assert.Contains($"cred-{id}-secret", result.Out, StringComparison.Ordinal);
        Assert.Contains("will not be shown again", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sites_add_json_gives_id_and_credential()
    {
        // Act
        var result = await Cli.RunAsync("sites", "add", "Lyon DC", "--json");

        // Assert
        Assert.Equal(0, result.Exit);
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(Hub.Sites.Keys.Single(), json.RootElement.GetProperty("siteId").GetString());
        Assert.StartsWith("cred-", json.RootElement.GetProperty("credential").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sites_list_shows_a_table_and_json_array()
    {
        // Arrange
        await Cli.RunAsync("sites", "add", "Lyon DC");
        await Cli.RunAsync("sites", "add", "Truck 12");

        // Act
        var table = await Cli.RunAsync("sites", "list");
        var json = await Cli.RunAsync("sites", "list", "--json");

        // Assert
        Assert.Equal(0, table.Exit);
        Assert.Equal(3, table.OutLines.Count);
        Assert.Matches(@"^SITE\s+NAME\s+LAST SYNC\s+UPLINK\s+BACKLOG\s+LAG\s+APPLIED\s+FEED$", table.OutLines[0]);
        Assert.Contains(table.OutLines, l => l.Contains("Lyon DC", StringComparison.Ordinal) && l.Contains("never", StringComparison.Ordinal));
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
        Assert.Equal(["Lyon DC", "Truck 12"], document.RootElement.EnumerateArray().Select(s => s.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Sites_list_shows_backlog_and_lag_and_a_dash_for_a_site_that_never_reported()
    {
        // Arrange
        await Cli.RunAsync("sites", "add", "Lyon DC");
        await Cli.RunAsync("sites", "add", "Truck 12");
        await Cli.RunAsync("sites", "add", "Depot");
        var (lyon, truck) = (Hub.Sites.Single(s => string.Equals(s.Value, "Lyon DC", StringComparison.Ordinal)).Key, Hub.Sites.Single(s => string.Equals(s.Value, "Truck 12", StringComparison.Ordinal)).Key);
        Hub.SyncReports[lyon] = (0, 0, "Connected");
        Hub.SyncReports[truck] = (1234, 3 * 3600 + 60, "Offline");

        // Act
        var table = await Cli.RunAsync("sites", "list");
        var json = await Cli.RunAsync("sites", "list", "--json");

        // Assert
        Assert.Equal(0, table.Exit);
        Assert.Matches(@"Lyon DC\s+\S+ \S+\s+Connected\s+0\s+0s\s", Line(table, "Lyon DC"));
        Assert.Matches(@"Truck 12\s+\S+ \S+\s+Offline\s+1234\s+3h\s", Line(table, "Truck 12"));
        Assert.Matches(@"Depot\s+never\s+-\s+-\s+-\s", Line(table, "Depot"));
        using var document = JsonDocument.Parse(json.Out);
        var rows = document.RootElement.EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, StringComparer.Ordinal);
        Assert.Equal((1234UL, 10860L, "Offline"), (rows["Truck 12"].GetProperty("backlog").GetUInt64(), rows["Truck 12"].GetProperty("lagSeconds").GetInt64(), rows["Truck 12"].GetProperty("uplinkState").GetString()));
        Assert.Equal(JsonValueKind.Null, rows["Depot"].GetProperty("backlog").ValueKind);
        Assert.Equal(JsonValueKind.Null, rows["Depot"].GetProperty("lagSeconds").ValueKind);
    }

    private static string Line(CliResult result, string name) => result.OutLines.Single(l => l.Contains(name, StringComparison.Ordinal));

    [Fact]
    public async Task A_refusal_from_the_hub_is_title_and_detail_on_one_line()
    {
        // Arrange
        await Cli.RunAsync("sites", "add", "Lyon DC");

        // Act
        var result = await Cli.RunAsync("sites", "add", "Lyon DC");

        // Assert
        Assert.Equal(1, result.Exit);
        Assert.Equal(["edgemdm: Conflict: a site named 'Lyon DC' exists"], result.ErrLines);
    }

    [Fact]
    public async Task A_validation_problem_names_the_field()
    {
        // Act
        var result = await Cli.RunAsync("sites", "add", " ");

        // Assert
        Assert.Equal(1, result.Exit);
        var line = Assert.Single(result.ErrLines);
        Assert.StartsWith("edgemdm: ", line, StringComparison.Ordinal);
        Assert.Contains("name: name is required", line, StringComparison.Ordinal);
    }
}
