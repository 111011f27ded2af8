using EdgeMdm.Cloud.Packages;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Tests;

/// <summary><c>edgemdm-cloud signing-key rotate</c> against the database of a running hub, seen by a site over gRPC.</summary>
public sealed class SigningKeyCommandTests : HubPerTest
{
    [Fact]
    public async Task A_rotation_made_by_the_cli_while_the_hub_runs_reaches_the_site_and_signs_what_the_hub_appends_next()
    {
        // Arrange
        var (site, sync) = await Hub.AddSiteAsync("DC Rotation");
        var head = (await sync.Hello(site.SiteId)).FeedHead;
        using var output = new StringWriter();

        // Act
        await SigningKeyCommand.RotateAsync(Hub.Directory, output);
        await Hub.Store.Sites.RenameSiteAsync(TenantIds.Default, site.SiteId, "DC Rotated");
        var pulled = (await sync.PullAsync(head)).SelectMany(b => b.Changes).ToList();

        // Assert
        var keyId = output.ToString().Trim();
        Assert.Equal([HubChange.ChangeOneofCase.HubKey, HubChange.ChangeOneofCase.SiteRenamed], pulled.Select(c => c.ChangeCase));
        Assert.Equal(keyId, pulled[0].HubKey.KeyId);
        var next = ManifestVerifier.FromPem(pulled[0].HubKey.PublicKeyPem);
        Assert.All(pulled, c => Assert.True(next.VerifyBytes(FeedSignatures.CanonicalBytes(c), c.Signature.Span) && string.Equals(c.KeyId, keyId, StringComparison.Ordinal)));
    }
}
