namespace EdgeMdm.Edge.Tests;

public sealed class SeedTests
{
    [Fact]
    public void The_test_seed_parses_into_blueprints_and_tokens()
    {
        var seed = SiteSeedLoader.Load(EdgeServer.SeedPath);

        Assert.Equal("dc-demo-01", seed.SiteId);
        Assert.Equal(["pickers", "vehicle-mounts"], seed.Blueprints.Select(b => b.Group));
        var pickers = seed.Blueprints[0];
        Assert.Equal(100, pickers.Apps.Single().VersionCode);
        Assert.Equal(new DateOnly(2025, 6, 1), pickers.Os!.MinSecurityPatch);
        Assert.Equal("WH-FLOOR", pickers.Configurations.Single().Values["ssid"]);
        Assert.Equal(75, pickers.BatteryHealthFloorPercent);
        Assert.Equal("pickers", seed.Tokens.Single().Group);
    }

    [Theory]
    [InlineData("blueprints:\n  - apps: []\n", "blueprints[0].group is required")]
    [InlineData("blueprints:\n  - group: a\n  - group: a\n", "blueprints[1].group 'a' appears twice")]
    [InlineData("blueprints:\n  - group: a\n    apps:\n      - packageName: x\n        versionCode: 0\n", "blueprints[0].apps[0].versionCode must be a positive number")]
    [InlineData("blueprints:\n  - group: a\n    os:\n      minSecurityPatch: June\n", "blueprints[0].os.minSecurityPatch must be a date")]
    [InlineData("blueprints:\n  - group: a\n    batteryHealthFloorPercent: 120\n", "batteryHealthFloorPercent must be between 0 and 100")]
    [InlineData("blueprints:\n  - group: a\ntokens:\n  - token: short\n    group: a\n    uses: 1\n    expires: 2030-01-01T00:00:00Z\n", "tokens[0].token must be at least 16 characters")]
    [InlineData("blueprints:\n  - group: a\ntokens:\n  - token: long-enough-token-123\n    group: b\n    uses: 1\n    expires: 2030-01-01T00:00:00Z\n", "tokens[0].group 'b' has no blueprint")]
    [InlineData("blueprints:\n  - group: a\n    apps: [ {packageName: x, versionCode: notanumber} ]\n", "blueprints[0].apps[0].versionCode must be a positive number")]
    [InlineData("blueprints:\n  - group: a\n    aps: []\n", "unknown field 'aps'")]
    [InlineData("blueprints: [\n", "line ")]
    public void A_bad_seed_is_refused_whole_with_the_place_named(string yaml, string expected)
    {
        var error = Assert.Throws<SeedFileException>(() => SiteSeedLoader.Parse(yaml, "site.yaml"));

        Assert.StartsWith("seed file site.yaml: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Applying_a_seed_twice_keeps_token_use_counts_and_declarations_tokens()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var before = (await server.CheckinOkAsync(device.DeviceSecret, new())).DeclarationsToken;

        await server.Get<Seed.ISeedApplier>().ApplyAsync(SiteSeedLoader.Load(EdgeServer.SeedPath), server.Clock.GetUtcNow());

        Assert.Equal(1, server.Get<ITokenStore>().ListTokens().Single(t => string.Equals(t.Group, "pickers", StringComparison.Ordinal)).UsesCount);
        Assert.Equal(before, (await server.CheckinOkAsync(device.DeviceSecret, new())).DeclarationsToken);
    }
}
