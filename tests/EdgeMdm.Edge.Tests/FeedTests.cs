using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Edge.Tests;

/// <summary>The downstream feed (ADR 0001): the hub's changes applied with their position, idempotently.</summary>
public sealed class FeedTests
{
    private const string HubToken = "et_hub-issued-token-0001";

    private static readonly Blueprint NewPickers = new(
        "pickers", [new RequiredApp("com.edgemdm.sample.scanner", 200, "2.0.0")], new OsFloor("14", null), [], [], null);

    private static HubChange Upserted(ulong position, Blueprint blueprint) => new()
    {
        Position = position,
        AtUnixMs = 1_700_000_000_000,
        BlueprintUpserted = new BlueprintUpserted { Group = blueprint.Group, BlueprintJson = JsonSerializer.Serialize(blueprint, BlueprintJson.Default.Blueprint) },
    };

    private static HubChange Issued(ulong position, uint uses, string group = "vehicle-mounts") => new()
    {
        Position = position,
        TokenIssued = new EnrollmentTokenIssued
        {
            TokenHash = CanonicalHash.Sha256Hex(HubToken),
            TokenPrefix = HubToken[..8],
            Group = group,
            Uses = uses,
            ExpiresUnixMs = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(),
        },
    };

    private static HubChange Queued(ulong position, string commandId, string deviceId) => new()
    {
        Position = position,
        CommandQueued = new CommandQueued { CommandId = commandId, DeviceId = deviceId, Type = "ring", Parameters = { ["seconds"] = "5" }, CreatedBy = "ops@hq" },
    };

    [Fact]
    public async Task An_upserted_blueprint_changes_the_declarations_token_at_the_next_checkin()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var before = (await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest())).DeclarationsToken;

        await HubCatalog.ApplyAsync(server, Upserted(1, NewPickers));
        var after = (await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest())).DeclarationsToken;

        Assert.NotEqual(before, after);
        Assert.Equal(NewPickers.ToDeclarations().Token, after);
        Assert.Equal(1UL, server.Get<IFeedStore>().FeedPosition);
    }

    [Fact]
    public async Task A_deleted_blueprint_leaves_its_group_with_empty_declarations()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");

        await HubCatalog.ApplyAsync(server, new HubChange { Position = 1, BlueprintDeleted = new BlueprintDeleted { Group = "pickers" } });
        var known = server.Get<IDeclarations>().HasBlueprint("pickers");
        var token = (await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest())).DeclarationsToken;

        Assert.False(known);
        Assert.Equal(Blueprint.Empty("pickers").ToDeclarations().Token, token);
    }

    [Fact]
    public async Task An_issued_token_enrolls_a_device_a_reissue_keeps_its_use_count_and_a_revoked_one_does_not()
    {
        await using var server = await EdgeServer.StartAsync();

        await HubCatalog.ApplyAsync(server, Issued(1, uses: 1));
        var enrolled = await server.EnrollAsync("SN-HUB", HubToken);
        await HubCatalog.ApplyAsync(server, Issued(2, uses: 5));
        var reissued = server.Get<ITokenStore>().ListTokens().Single(t => string.Equals(t.Prefix, HubToken[..8], StringComparison.Ordinal));
        await HubCatalog.ApplyAsync(server, new HubChange { Position = 3, TokenRevoked = new EnrollmentTokenRevoked { TokenHash = CanonicalHash.Sha256Hex(HubToken) } });
        var refused = await server.Http.PostAsJsonAsync("/api/v1/enroll", EdgeServer.Enrollment("SN-LATE", HubToken), DeviceProtocolJson.Default.EnrollRequest);

        Assert.Equal("vehicle-mounts", enrolled.Group);
        Assert.Equal((5, 1), (reissued.UsesAllowed, reissued.UsesCount));
        await EnrollmentTests.ProblemAsync(refused, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_queued_command_is_delivered_at_the_next_checkin()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");

        await HubCatalog.ApplyAsync(server, Queued(7, "cmd-hub-1", device.DeviceId));
        var answer = await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());

        var command = Assert.Single(answer.Commands);
        Assert.Equal(("cmd-hub-1", "ring", "5"), (command.Id, command.Type, command.Parameters["seconds"]));
        Assert.Equal(7UL, server.Get<IFeedStore>().FeedPosition);
    }

    [Fact]
    public async Task A_site_rename_names_the_site_for_new_enrollments()
    {
        await using var server = await EdgeServer.StartAsync();

        await HubCatalog.ApplyAsync(server, new HubChange { Position = 1, SiteRenamed = new SiteRenamed { SiteId = "dc-north-02", Name = "North DC" } });

        Assert.Equal("dc-north-02", (await server.EnrollAsync("SN-1")).SiteId);
    }

    [Fact]
    public async Task Replaying_a_batch_twice_or_from_an_older_position_changes_nothing()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var (feed, tokens, commands, outbox) = (server.Get<IFeedStore>(), server.Get<ITokenStore>(), server.Get<ICommandStore>(), server.Get<IOutboxStore>());
        var batch = HubCatalog.Batch(Upserted(1, NewPickers), Issued(2, uses: 3), Queued(3, "cmd-hub-1", device.DeviceId));
        await feed.ApplyDownstreamAsync(batch);
        await server.EnrollAsync("SN-HUB", HubToken);
        var snapshot = (Tokens: tokens.ListTokens(), Commands: commands.ListCommands(null), Outbox: outbox.State(), Position: feed.FeedPosition);

        await feed.ApplyDownstreamAsync(batch);
        await feed.ApplyDownstreamAsync(batch);
        await feed.ApplyDownstreamAsync(HubCatalog.Batch(Upserted(1, Blueprint.Empty("pickers")), Issued(2, uses: 50)));

        Assert.Equal(snapshot.Tokens, tokens.ListTokens());
        Assert.Equal(snapshot.Commands, commands.ListCommands(null));
        Assert.Equal(snapshot.Outbox, outbox.State());
        Assert.Equal(3UL, feed.FeedPosition);
        Assert.Equal(NewPickers.ToDeclarations().Token, (await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest())).DeclarationsToken);
    }

    [Fact]
    public async Task A_command_for_a_device_not_at_this_site_goes_back_up_as_failed()
    {
        await using var server = await EdgeServer.StartAsync();
        var feed = server.Get<IFeedStore>();

        await feed.ApplyDownstreamAsync(HubCatalog.Batch(Queued(1, "cmd-elsewhere", "dev-not-here")));

        Assert.Empty(server.Get<ICommandStore>().ListCommands(null));
        var change = Assert.Single(await server.Get<IOutboxStore>().TakeBatchAsync(10));
        Assert.Equal("dev-not-here", change.DeviceId);
        Assert.Equal(("cmd-elsewhere", "failed", "device not at this site"), (change.CommandResult.CommandId, change.CommandResult.Status, change.CommandResult.Message));
        Assert.Equal(1UL, feed.FeedPosition);
    }
}
