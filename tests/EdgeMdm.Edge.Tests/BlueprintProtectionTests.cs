using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Edge.Blueprints;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Hosting;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// A blueprint's configuration payloads (Wi-Fi passphrases, managed-config secrets) are kept protected at rest at the
/// site (issue 27, secrets at rest), reach a device of the group in clear, and travel beside a signed hash of their JSON.
/// </summary>
public sealed class BlueprintProtectionTests
{
    private const string Passphrase = "Blueprint-PSK-4d2e91ab";

    private static Blueprint PickersWithSecret(EdgeServer server) =>
        server.Get<IBlueprints>().LoadAll().Single(b => string.Equals(b.Group, "pickers", StringComparison.Ordinal)) with
        {
            Configurations = [new ConfigurationPayload("wifi-floor", new Dictionary<string, string>(StringComparer.Ordinal) { ["ssid"] = "WH-FLOOR", ["passphrase"] = Passphrase })],
        };

    private static HubChange Upserted(ulong position, BlueprintUpserted upserted) =>
        new() { Position = position, AtUnixMs = 1_700_000_000_000, BlueprintUpserted = upserted };

    private static Task<int> StoreClearRowAsync(EdgeServer server, Blueprint blueprint) =>
        server.Get<EdgeStorage>().WriteAsync(unit => unit.Db.Execute(
            "UPDATE blueprints SET blueprint = ? WHERE group_name = ?", JsonSerializer.Serialize(blueprint, BlueprintJson.Default.Blueprint), blueprint.Group));

    private static string StoredValue(EdgeServer server, string group) =>
        server.Get<EdgeStorage>().Read(db => db.ExecuteScalar<string>("SELECT blueprint FROM blueprints WHERE group_name = ?", group));

    [Fact]
    public async Task An_enrolled_device_of_the_group_gets_the_configuration_secret_and_the_secret_is_not_at_rest()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");

        // Act: the blueprint as the hub sends it now (clear JSON, its hash signed), then the same again
        var upserted = HubCatalog.Upserted(PickersWithSecret(server));
        await HubCatalog.ApplyAsync(server, Upserted(1, upserted));
        var stored = StoredValue(server, "pickers");
        await HubCatalog.ApplyAsync(server, Upserted(2, upserted));
        var declarations = await server.DeclarationsAsync(device.DeviceSecret);

        // Assert
        Assert.Equal(Passphrase, Assert.Single(declarations.Configurations).Payload["passphrase"]);
        Assert.Equal(stored, StoredValue(server, "pickers"));
        Assert.DoesNotContain("WH-FLOOR", stored, StringComparison.Ordinal);
        await StagingPlanTests.AssertSecretNowhereAsync(server, Passphrase);
    }

    [Fact]
    public async Task A_blueprint_an_older_appliance_stored_in_clear_is_read_and_protected_in_place_at_start()
    {
        // Arrange: the row as an appliance from before the protection wrote it
        await using var server = await EdgeServer.StartAsync();
        var blueprint = PickersWithSecret(server);
        await StoreClearRowAsync(server, blueprint);
        var readClear = server.Get<IBlueprints>().LoadAll().Single(b => string.Equals(b.Group, "pickers", StringComparison.Ordinal));

        // Act: what the appliance's next start does
        await server.Get<IEnumerable<IHostedService>>().OfType<BlueprintReprotection>().Single().StartAsync(CancellationToken.None);

        // Assert
        Assert.Equal(Passphrase, readClear.Configurations.Single().Values["passphrase"]);
        Assert.DoesNotContain(Passphrase, StoredValue(server, "pickers"), StringComparison.Ordinal);
        var readProtected = server.Get<IBlueprints>().LoadAll().Single(b => string.Equals(b.Group, "pickers", StringComparison.Ordinal));
        Assert.Equal(blueprint.ToDeclarations().Token, readProtected.ToDeclarations().Token);
        Assert.Equal(Passphrase, readProtected.Configurations.Single().Values["passphrase"]);
    }

    [Fact]
    public async Task A_blueprint_whose_json_does_not_match_its_signed_hash_is_refused_naming_its_position()
    {
        // Arrange: signed as the hub signs it, then the JSON swapped on the way; and one whose hash was swapped too
        await using var server = await EdgeServer.StartAsync();
        var signed = HubCatalog.SignedBy(Upserted(1, HubCatalog.Upserted(PickersWithSecret(server))), HubCatalog.FeedKey);
        var swappedJson = signed.Clone();
        swappedJson.BlueprintUpserted.BlueprintJson = swappedJson.BlueprintUpserted.BlueprintJson.Replace(Passphrase, "Attacker-PSK-00000000", StringComparison.Ordinal);
        var swappedBoth = swappedJson.Clone();
        swappedBoth.BlueprintUpserted.BlueprintSha256 = FeedSignatures.BlueprintSha256(swappedJson.BlueprintUpserted.BlueprintJson);

        // Act
        var json = await Assert.ThrowsAsync<FeedRefusedException>(() => server.Get<IFeedStore>().ApplyDownstreamAsync(HubCatalog.AsGiven(swappedJson)));
        var both = await Assert.ThrowsAsync<FeedRefusedException>(() => server.Get<IFeedStore>().ApplyDownstreamAsync(HubCatalog.AsGiven(swappedBoth)));

        // Assert
        Assert.Equal((1UL, "blueprint of group 'pickers' does not match its signed content hash"), (json.Position, json.Reason));
        Assert.Contains("the hub's feed change 1 (BlueprintUpserted) was refused", json.Message, StringComparison.Ordinal);
        Assert.Contains("does not match its content", both.Reason, StringComparison.Ordinal);
        Assert.Equal(0UL, server.Get<IFeedStore>().FeedPosition);
        var kept = server.Get<IBlueprints>().LoadAll().Single(b => string.Equals(b.Group, "pickers", StringComparison.Ordinal));
        Assert.DoesNotContain(kept.Configurations, c => c.Values.ContainsKey("passphrase"));
    }

    [Fact]
    public async Task A_blueprint_an_older_hub_signed_over_its_clear_json_still_applies_and_is_stored_protected()
    {
        // Arrange: no hash; the signature covers the JSON itself
        await using var server = await EdgeServer.StartAsync();
        var blueprint = PickersWithSecret(server);
        var old = new BlueprintUpserted { Group = "pickers", BlueprintJson = JsonSerializer.Serialize(blueprint, BlueprintJson.Default.Blueprint) };

        // Act
        await HubCatalog.ApplyAsync(server, Upserted(1, old));

        // Assert
        Assert.Equal(1UL, server.Get<IFeedStore>().FeedPosition);
        Assert.Equal(Passphrase, server.Get<IBlueprints>().LoadAll().Single(b => string.Equals(b.Group, "pickers", StringComparison.Ordinal)).Configurations.Single().Values["passphrase"]);
        Assert.DoesNotContain(Passphrase, StoredValue(server, "pickers"), StringComparison.Ordinal);
    }
}
