using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;
using Google.Protobuf;

namespace EdgeMdm.Cloud.Tests;

// The signed feed (issue 27): every change the hub appends is signed for its site, a new site's feed opens with the
// key, a rotation is endorsed by the key it replaces; on every backend.
public abstract partial class HubStoreConformance
{
    /// <summary>The hub key's verifier, as a site holds it once the anchor arrived.</summary>
    private static ManifestVerifier Anchor(IReadOnlyList<HubChange> feed)
    {
        Assert.Equal(1UL, feed[0].Position);
        Assert.Equal("", feed[0].Anchor.PreviousKeyId);
        return ManifestVerifier.FromPem(feed[0].Anchor.PublicKeyPem);
    }

    /// <summary>What a site checks: the signature, and a blueprint's clear JSON against the hash signed in its stead.</summary>
    private static bool Verifies(ManifestVerifier key, HubChange change) =>
        string.Equals(change.KeyId, key.KeyId, StringComparison.Ordinal) && key.VerifyBytes(FeedSignatures.CanonicalBytes(change), change.Signature.Span)
        && (change.ChangeCase != HubChange.ChangeOneofCase.BlueprintUpserted || FeedSignatures.BlueprintMatchesItsHash(change.BlueprintUpserted));

    [SkippableFact]
    public async Task A_new_sites_first_change_carries_the_hub_key_and_every_change_is_signed_for_that_site()
    {
        var store = await NewStoreAsync();
        await store.SigningKeys.EnsureSigningKeyAsync();
        var site = (await store.Sites.AddSiteAsync(Tenant, SiteName)).SiteId;
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Blueprint.Empty("pickers"));

        var feed = await store.Feed.ReadFeedAsync(site, 0, 100);

        var key = Anchor(feed);
        Assert.Contains(feed, c => c.ChangeCase == HubChange.ChangeOneofCase.BlueprintUpserted);
        Assert.All(feed, change => Assert.True(Verifies(key, change) && string.Equals(change.SiteId, site, StringComparison.Ordinal), change.ChangeCase.ToString()));
    }

    [SkippableFact]
    public async Task A_feed_row_edited_in_the_database_no_longer_verifies()
    {
        var store = await NewStoreAsync();
        await store.SigningKeys.EnsureSigningKeyAsync();
        var site = (await store.Sites.AddSiteAsync(Tenant, SiteName)).SiteId;
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Blueprint.Empty("pickers"));
        var feed = await store.Feed.ReadFeedAsync(site, 0, 100);
        var upsert = feed.Single(c => c.ChangeCase == HubChange.ChangeOneofCase.BlueprintUpserted);

        var edited = upsert.Clone();
        edited.BlueprintUpserted.BlueprintJson = edited.BlueprintUpserted.BlueprintJson.Replace("pickers", "pickers-everything", StringComparison.Ordinal);
        await using (var s = await store.Database.BeginAsync(write: true, default))
        {
            await s.ExecuteAsync("UPDATE feed SET change = ? WHERE site_id = ? AND position = ?", edited.ToByteArray(), site, upsert.Position);
            await s.CommitAsync();
        }

        var read = (await store.Feed.ReadFeedAsync(site, upsert.Position - 1, 1)).Single();
        Assert.Contains("pickers-everything", read.BlueprintUpserted.BlueprintJson, StringComparison.Ordinal);
        Assert.False(Verifies(Anchor(feed), read));
    }

    [SkippableFact]
    public async Task A_rotation_is_endorsed_by_the_old_key_signed_by_the_new_one_which_signs_what_follows()
    {
        var store = await NewStoreAsync();
        var packageKey = await store.SigningKeys.EnsureSigningKeyAsync();
        var (a, b) = ((await store.Sites.AddSiteAsync(Tenant, "Site A")).SiteId, (await store.Sites.AddSiteAsync(Tenant, "Site B")).SiteId);
        var before = await store.Feed.FeedHeadAsync(a);

        var rotated = await store.SigningKeys.RotateFeedKeyAsync();
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Blueprint.Empty("pickers"));

        var old = Anchor(await store.Feed.ReadFeedAsync(a, 0, 1));
        var since = await store.Feed.ReadFeedAsync(a, before, 100);
        var rotation = since[0].HubKey;
        var next = ManifestVerifier.FromPem(rotation.PublicKeyPem);
        Assert.Equal((rotated, old.KeyId), (rotation.KeyId, rotation.PreviousKeyId));
        Assert.True(old.VerifyBytes(FeedSignatures.EndorsementBytes(rotation.KeyId, rotation.PublicKeyPem), rotation.Endorsement.Span));
        Assert.All(since, change => Assert.True(Verifies(next, change), change.ChangeCase.ToString()));
        Assert.Equal(HubChange.ChangeOneofCase.HubKey, (await store.Feed.ReadFeedAsync(b, before, 1)).Single().ChangeCase);
        Assert.Equal(packageKey, await store.SigningKeys.EnsureSigningKeyAsync());
    }

    [SkippableFact]
    public async Task A_site_added_after_a_rotation_trusts_the_new_key_from_its_first_change()
    {
        var store = await NewStoreAsync();
        await store.SigningKeys.EnsureSigningKeyAsync();
        var rotated = await store.SigningKeys.RotateFeedKeyAsync();

        var site = (await store.Sites.AddSiteAsync(Tenant, SiteName)).SiteId;
        var feed = await store.Feed.ReadFeedAsync(site, 0, 100);

        var key = Anchor(feed);
        Assert.Equal(rotated, key.KeyId);
        Assert.All(feed, change => Assert.True(Verifies(key, change), change.ChangeCase.ToString()));
        Assert.Contains(feed, c => c.ChangeCase == HubChange.ChangeOneofCase.SigningKey && !string.Equals(c.SigningKey.KeyId, rotated, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Rotating_before_the_hub_made_its_key_is_refused()
    {
        var store = await NewStoreAsync();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => store.SigningKeys.RotateFeedKeyAsync());

        Assert.Contains("no signing key yet", refused.Message, StringComparison.Ordinal);
    }
}
