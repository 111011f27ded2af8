using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Domain.Staging;
using Google.Protobuf;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The appliance verifies every change of the hub's feed before it applies it (issue 27, signed desired state): a change
/// that is unsigned, edited after signing, signed for another site or by a key it does not trust stops the feed there,
/// and a new hub key is trusted only when the key it replaces endorsed it.
/// </summary>
public sealed class FeedSignatureTests
{
    private static readonly Blueprint NightShift = new(
        "night-shift", [new RequiredApp("com.edgemdm.sample.scanner", 200, "2.0.0")], new OsFloor("14", null), [], [], null);

    private static HubChange Upserted(ulong position, Blueprint blueprint) => new()
    {
        Position = position,
        AtUnixMs = 1_700_000_000_000 + (long)position,
        BlueprintUpserted = new BlueprintUpserted { Group = blueprint.Group, BlueprintJson = JsonSerializer.Serialize(blueprint, BlueprintJson.Default.Blueprint) },
    };

    private static HubChange Renamed(ulong position, string name) =>
        new() { Position = position, AtUnixMs = 1_700_000_000_000, SiteRenamed = new SiteRenamed { SiteId = HubCatalog.SiteId, Name = name } };

    private static HubChange Rotation(ulong position, ManifestSigner previous, ManifestSigner next) => HubCatalog.SignedBy(
        new HubChange
        {
            Position = position,
            AtUnixMs = 1_700_000_100_000,
            HubKey = new HubKeyTrusted
            {
                PublicKeyPem = next.PublicKeyPem,
                KeyId = next.KeyId,
                PreviousKeyId = previous.KeyId,
                Endorsement = ByteString.CopyFrom(previous.SignBytes(FeedSignatures.EndorsementBytes(next.KeyId, next.PublicKeyPem))),
            },
        },
        next);

    private static async Task<FeedRefusedException> RefusedAsync(EdgeServer server, DownstreamBatch batch) =>
        await Assert.ThrowsAsync<FeedRefusedException>(() => server.Get<IFeedStore>().ApplyDownstreamAsync(batch));

    [Fact]
    public async Task An_unsigned_change_stops_the_feed_before_it_and_the_changes_before_it_are_applied()
    {
        await using var server = await EdgeServer.StartAsync();

        var refused = await RefusedAsync(server, HubCatalog.AsGiven(HubCatalog.SignedBy(Renamed(1, "Signed name"), HubCatalog.FeedKey), Upserted(2, NightShift), Renamed(3, "Later")));

        Assert.Equal((2UL, "it is not signed"), (refused.Position, refused.Reason));
        Assert.Equal(1UL, server.Get<IFeedStore>().FeedPosition);
        Assert.Equal("Signed name", server.Get<ISiteIdentity>().Site()!.Name);
        Assert.False(server.Get<IDeclarations>().HasBlueprint("night-shift"));
    }

    [Fact]
    public async Task A_blueprint_edited_after_it_was_signed_is_refused_and_refused_again_when_pulled_again()
    {
        await using var server = await EdgeServer.StartAsync();
        var tampered = HubCatalog.SignedBy(Upserted(1, NightShift), HubCatalog.FeedKey);
        tampered.BlueprintUpserted.BlueprintJson = tampered.BlueprintUpserted.BlueprintJson.Replace("\"14\"", "\"9\"", StringComparison.Ordinal);

        var first = await RefusedAsync(server, HubCatalog.AsGiven(tampered));
        var again = await RefusedAsync(server, HubCatalog.AsGiven(tampered));

        Assert.Contains("does not match its content", first.Reason, StringComparison.Ordinal);
        Assert.Equal(first.Reason, again.Reason);
        Assert.Equal(0UL, server.Get<IFeedStore>().FeedPosition);
        Assert.False(server.Get<IDeclarations>().HasBlueprint("night-shift"));
    }

    [Fact]
    public async Task A_command_with_a_changed_parameter_and_a_change_signed_for_another_site_are_refused()
    {
        await using var server = await EdgeServer.StartAsync();
        var command = HubCatalog.SignedBy(
            new HubChange { Position = 1, CommandQueued = new CommandQueued { CommandId = "cmd-1", DeviceId = "dev-1", Type = "ring", Parameters = { ["seconds"] = "5" } } },
            HubCatalog.FeedKey);
        command.CommandQueued.Parameters["seconds"] = "500";
        var elsewhere = HubCatalog.SignedBy(Upserted(1, NightShift), HubCatalog.FeedKey, siteId: "dc-other-09");

        var changed = await RefusedAsync(server, HubCatalog.AsGiven(command));
        var misdirected = await RefusedAsync(server, HubCatalog.AsGiven(elsewhere));

        Assert.Contains("does not match its content", changed.Reason, StringComparison.Ordinal);
        Assert.Contains("signed for site 'dc-other-09'", misdirected.Reason, StringComparison.Ordinal);
        Assert.Empty(server.Get<ICommandStore>().ListCommands(null));
    }

    [Fact]
    public async Task A_staging_plan_whose_clear_json_does_not_match_its_signed_hash_is_refused()
    {
        await using var server = await EdgeServer.StartAsync();
        var plan = StagingPlanTests.Plan();
        var upserted = HubCatalog.SignedBy(
            new HubChange { Position = 1, StagingPlanUpserted = new() { Name = plan.Name, PlanJson = StagingPlanJson.SerializeClear(plan), PlanHash = plan.ContentHash() } },
            HubCatalog.FeedKey);
        var other = plan with { Steps = plan.Steps.Take(1).ToList() };
        upserted.StagingPlanUpserted.PlanJson = StagingPlanJson.SerializeClear(other);

        var refused = await RefusedAsync(server, HubCatalog.AsGiven(upserted));

        Assert.Contains("does not match its signed content hash", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rotation_endorsed_by_the_trusted_key_is_accepted_and_the_retired_key_is_refused_after_it()
    {
        await using var server = await EdgeServer.StartAsync();
        using var next = ManifestSigner.CreateNew();

        await server.Get<IFeedStore>().ApplyDownstreamAsync(HubCatalog.AsGiven(
            Rotation(1, HubCatalog.FeedKey, next), HubCatalog.SignedBy(Renamed(2, "Signed by the new key"), next)));
        var retired = await RefusedAsync(server, HubCatalog.AsGiven(HubCatalog.SignedBy(Upserted(3, NightShift), HubCatalog.FeedKey)));

        Assert.Equal("Signed by the new key", server.Get<ISiteIdentity>().Site()!.Name);
        Assert.StartsWith("it is signed by the retired key", retired.Reason, StringComparison.Ordinal);
        var keys = server.Get<IHubKeys>().Keys();
        Assert.Equal([next.KeyId, HubCatalog.FeedKey.KeyId], keys.Select(k => k.KeyId));
        Assert.Equal([false, true], keys.Select(k => k.RetiredAt is not null));
    }

    [Fact]
    public async Task A_key_not_endorsed_by_the_trusted_one_is_refused_and_so_is_what_it_signs()
    {
        await using var server = await EdgeServer.StartAsync();
        using var stranger = ManifestSigner.CreateNew();
        using var next = ManifestSigner.CreateNew();
        var anchor = HubCatalog.SignedBy(new HubChange { Position = 1, HubKey = new HubKeyTrusted { PublicKeyPem = next.PublicKeyPem, KeyId = next.KeyId } }, next);

        var unendorsed = await RefusedAsync(server, HubCatalog.AsGiven(anchor));
        var endorsedByStranger = await RefusedAsync(server, HubCatalog.AsGiven(Rotation(1, stranger, next)));
        var signedByUnknown = await RefusedAsync(server, HubCatalog.AsGiven(HubCatalog.SignedBy(Upserted(1, NightShift), next)));

        Assert.Contains("without the endorsement of the trusted key", unendorsed.Reason, StringComparison.Ordinal);
        Assert.Contains("which is not the trusted key", endorsedByStranger.Reason, StringComparison.Ordinal);
        Assert.StartsWith("it is signed by an unknown key", signedByUnknown.Reason, StringComparison.Ordinal);
        Assert.Equal([HubCatalog.FeedKey.KeyId], server.Get<IHubKeys>().Keys().Select(k => k.KeyId));
    }

    [Fact]
    public async Task A_new_appliance_trusts_the_anchor_the_first_change_carries_and_nothing_without_it()
    {
        await using var server = await EdgeServer.StartAsync();
        await server.Get<EdgeStorage>().WriteAsync(unit => unit.Db.Execute("DELETE FROM hub_keys"));
        using var hub = ManifestSigner.CreateNew();
        var anchored = Renamed(1, "With the anchor");
        anchored.Anchor = new HubKeyTrusted { PublicKeyPem = hub.PublicKeyPem, KeyId = hub.KeyId };

        var withoutAnchor = await RefusedAsync(server, HubCatalog.AsGiven(HubCatalog.SignedBy(Renamed(1, "Too early"), hub)));
        await server.Get<IFeedStore>().ApplyDownstreamAsync(HubCatalog.AsGiven(HubCatalog.SignedBy(anchored, hub), HubCatalog.SignedBy(Upserted(2, NightShift), hub)));

        Assert.Contains("no hub key is trusted yet", withoutAnchor.Reason, StringComparison.Ordinal);
        Assert.Equal("With the anchor", server.Get<ISiteIdentity>().Site()!.Name);
        Assert.True(server.Get<IDeclarations>().HasBlueprint("night-shift"));
        Assert.Equal(hub.KeyId, Assert.Single(server.Get<IHubKeys>().Keys()).KeyId);
    }
}
