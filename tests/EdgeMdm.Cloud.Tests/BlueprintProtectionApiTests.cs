using System.Text;
using EdgeMdm.Domain.Packages;
using Microsoft.Extensions.Logging;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// A blueprint's configuration payloads (Wi-Fi passphrases, managed-config secrets) through the REST API and the sync
/// service of the real host: protected at rest in the blueprint and in each site's feed, in clear to the site only, every
/// log level captured.
/// </summary>
public sealed class BlueprintProtectionApiTests() : HubPerTest(builder => builder.Logging.SetMinimumLevel(LogLevel.Trace))
{
    private const string Passphrase = "Blueprint-PSK-8c41d0f3";

    [Fact]
    public async Task A_blueprint_secret_reaches_each_site_of_the_tenant_in_clear_under_its_signed_hash_and_is_nowhere_at_rest_or_in_logs()
    {
        // Arrange: one site before the blueprint, one after (fed by the new site's seed)
        var (_, before) = await Hub.AddSiteAsync("DC Leipzig");
        var body = $$$"""{"apps":[],"configurations":[{"id":"wifi-floor","values":{"ssid":"WH-FLOOR","passphrase":"{{{Passphrase}}}"}}]}""";

        // Act
        using var put = await Hub.Rest.PutAsync("/api/v1/blueprints/pickers", new StringContent(body, Encoding.UTF8, "application/json"));
        var (_, after) = await Hub.AddSiteAsync("DC Lyon");
        var listed = await Hub.Rest.GetStringAsync("/api/v1/blueprints");

        // Assert
        Assert.True(put.IsSuccessStatusCode, put.StatusCode.ToString());
        Assert.Contains(Passphrase, listed, StringComparison.Ordinal);
        foreach (var sync in new[] { before, after })
        {
            var feed = (await sync.PullAsync(0)).SelectMany(b => b.Changes).ToList();
            var key = ManifestVerifier.FromPem(feed[0].Anchor.PublicKeyPem);
            var change = Assert.Single(feed, c => c.ChangeCase == HubChange.ChangeOneofCase.BlueprintUpserted);
            var upserted = change.BlueprintUpserted;
            Assert.Contains(Passphrase, upserted.BlueprintJson, StringComparison.Ordinal);
            Assert.Equal((FeedSignatures.BlueprintSha256(upserted.BlueprintJson), ""), (upserted.BlueprintSha256, upserted.BlueprintJsonProtected));
            Assert.True(key.VerifyBytes(FeedSignatures.CanonicalBytes(change), change.Signature.Span));
        }

        await SecretsAtRest.AssertNowhereAsync(Hub, Passphrase);
    }
}
