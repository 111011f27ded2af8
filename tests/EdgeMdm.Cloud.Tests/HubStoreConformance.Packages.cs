using EdgeMdm.Cloud.Packages;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Tests;

// The package signing key and the tenants' package catalogs, on every backend.
public abstract partial class HubStoreConformance
{
    private static readonly DateTimeOffset PublishedAt = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [SkippableFact]
    public async Task Replicas_starting_together_create_one_signing_key_and_feed_it_once()
    {
        // Arrange: a hub from before the key existed, with two sites
        var connectionString = await NewDatabaseAsync();
        var first = await OpenAsync(connectionString);
        var lyon = (await first.Sites.AddSiteAsync(Tenant, "Lyon DC")).SiteId;
        var acme = (await first.Tenants.AddTenantAsync("Acme")).TenantId;
        var acmeSite = (await first.Sites.AddSiteAsync(acme, "Truck 12")).SiteId;
        var replicas = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => OpenAsync(connectionString))));

        // Act: every replica starts at once
        var keys = await Task.WhenAll(replicas.Select(r => Task.Run(() => r.SigningKeys.EnsureSigningKeyAsync())));
        var later = await first.SigningKeys.EnsureSigningKeyAsync();

        // Assert: one key, and each existing site got it exactly once
        Assert.Single(keys.Append(later).Distinct(StringComparer.Ordinal));
        using var signer = ManifestSigner.FromPkcs8Pem(later);
        foreach (var site in new[] { lyon, acmeSite })
        {
            var feed = await first.Feed.ReadFeedAsync(site, Named, 10);
            var change = Assert.Single(feed);
            Assert.Equal(HubChange.ChangeOneofCase.SigningKey, change.ChangeCase);
            Assert.Equal((signer.KeyId, signer.PublicKeyPem), (change.SigningKey.KeyId, change.SigningKey.PublicKeyPem));
            Assert.Equal(signer.KeyId, ManifestVerifier.FromPem(change.SigningKey.PublicKeyPem).KeyId);
        }
    }

    [SkippableFact]
    public async Task The_signing_key_is_stored_only_protected_and_a_clear_key_an_older_hub_stored_is_protected_in_place()
    {
        // Arrange: a new hub's key, and another database holding a clear PKCS#8 key as a hub from before wrote it
        var fresh = await NewStoreAsync();
        var olderDatabase = await NewDatabaseAsync();
        var older = await OpenAsync(olderDatabase);
        using var olderSigner = ManifestSigner.CreateNew();
        var clearPem = olderSigner.ExportPkcs8Pem();
        await using (var s = await older.Database.BeginAsync(write: true, CancellationToken.None))
        {
            await s.ExecuteAsync("INSERT INTO signing_keys (key_id, private_key_pem, created_at) VALUES (?, ?, 1)", olderSigner.KeyId, clearPem);
            await s.CommitAsync();
        }

        // Act
        var freshPem = await fresh.SigningKeys.EnsureSigningKeyAsync();
        var olderPem = await older.SigningKeys.EnsureSigningKeyAsync();

        // Assert: each store hands out the clear key and keeps none of it in its row
        Assert.Equal(clearPem, olderPem);
        foreach (var (store, pem) in new[] { (fresh, freshPem), (older, olderPem) })
        {
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----", pem, StringComparison.Ordinal);
            var stored = await StoredSigningKeyAsync(store);
            Assert.DoesNotContain("PRIVATE KEY", stored, StringComparison.Ordinal);
            Assert.DoesNotContain(PemBody(pem)[..40], stored, StringComparison.Ordinal);
        }

        Assert.Equal(clearPem, await (await OpenAsync(olderDatabase)).SigningKeys.EnsureSigningKeyAsync());
    }

    private static async Task<string> StoredSigningKeyAsync(HubStores store)
    {
        await using var s = await store.Database.BeginAsync(write: false, CancellationToken.None);
        return Assert.Single(await s.QueryAsync("SELECT private_key_pem FROM signing_keys")).Text(0);
    }

    /// <summary>The base64 of a PEM without its header and footer lines.</summary>
    private static string PemBody(string pem) =>
        string.Concat(pem.Split('\n').Where(line => !line.StartsWith("-----", StringComparison.Ordinal)).Select(line => line.Trim()));

    [SkippableFact]
    public async Task Publishing_the_same_bytes_again_changes_nothing_and_other_bytes_for_a_version_conflict()
    {
        // Arrange
        var (store, site) = await StoreWithSiteAsync();
        using var signer = ManifestSigner.FromPkcs8Pem(await store.SigningKeys.EnsureSigningKeyAsync());
        var v412 = signer.Sign(Manifest("com.acme.scan", 412, Sha('a')));
        var headBefore = await store.Feed.FeedHeadAsync(site);

        // Act
        var created = await store.Packages.PublishPackageAsync(Tenant, v412, signer.KeyId);
        var again = await store.Packages.PublishPackageAsync(Tenant, signer.Sign(Manifest("com.acme.scan", 412, Sha('a')) with { VersionName = "renamed" }), signer.KeyId);
        var otherBytes = await store.Packages.PublishPackageAsync(Tenant, signer.Sign(Manifest("com.acme.scan", 412, Sha('b'))), signer.KeyId);
        var sameBytesAsAnotherVersion = await store.Packages.PublishPackageAsync(Tenant, signer.Sign(Manifest("com.acme.scan", 413, Sha('a'))), signer.KeyId);

        // Assert
        Assert.Equal(PublishResult.Created, created.Result);
        Assert.Equal((PublishResult.AlreadyPublished, v412.Signature, "4.1.2"), (again.Result, again.Package.Signature, again.Package.Manifest.VersionName));
        Assert.Equal((PublishResult.Conflict, Sha('a')), (otherBytes.Result, otherBytes.Package.Manifest.Sha256));
        Assert.Equal((PublishResult.Conflict, 412L), (sameBytesAsAnotherVersion.Result, sameBytesAsAnotherVersion.Package.Manifest.VersionCode));
        var stored = Assert.Single(await store.Packages.ListPackagesAsync(Tenant));
        Assert.Equal(v412.Manifest, stored.Manifest);
        Assert.Equal(signer.KeyId, stored.KeyId);
        Assert.True(ManifestVerifier.FromPem(signer.PublicKeyPem).Verify(stored.ToSignedManifest()));
        Assert.Equal(headBefore + 1, await store.Feed.FeedHeadAsync(site)); // one PackagePublished, for the one publish that created
    }

    [SkippableFact]
    public async Task A_package_fans_out_to_its_own_tenants_sites_only_with_the_signed_manifest()
    {
        // Arrange
        var store = await NewStoreAsync();
        using var signer = ManifestSigner.FromPkcs8Pem(await store.SigningKeys.EnsureSigningKeyAsync());
        var acme = (await store.Tenants.AddTenantAsync("Acme")).TenantId;
        var acmeSites = new[] { (await store.Sites.AddSiteAsync(acme, "Lyon DC")).SiteId, (await store.Sites.AddSiteAsync(acme, "Truck 12")).SiteId };
        var defaultSite = (await store.Sites.AddSiteAsync(Tenant, "Lyon DC")).SiteId;
        var signed = signer.Sign(Manifest("com.acme.scan", 412, Sha('c')) with { MinOsVersion = "11" });

        // Act
        await store.Packages.PublishPackageAsync(acme, signed, signer.KeyId);

        // Assert
        foreach (var site in acmeSites)
        {
            var published = (await store.Feed.ReadFeedAsync(site, Named, 10))[^1];
            Assert.Equal(HubChange.ChangeOneofCase.PackagePublished, published.ChangeCase);
            var p = published.PackagePublished;
            Assert.Equal(
                (Sha('c'), "com.acme.scan", 412L, "4.1.2", 1000L, "11", PublishedAt.ToUnixTimeSeconds(), signed.Signature),
                (p.Sha256, p.PackageName, p.VersionCode, p.VersionName, p.SizeBytes, p.MinOsVersion, p.PublishedUnixSeconds, p.Signature));
        }

        Assert.Equal([HubChange.ChangeOneofCase.SigningKey], (await store.Feed.ReadFeedAsync(defaultSite, Named, 10)).Select(c => c.ChangeCase));
        Assert.Empty(await store.Packages.ListPackagesAsync(Tenant));
        Assert.Null(await store.Packages.FindPackageAsync(Tenant, Sha('c')));
        Assert.Null(await store.Packages.FindPackageVersionAsync(Tenant, "com.acme.scan", 412));
        Assert.NotNull(await store.Packages.FindPackageVersionAsync(acme, "com.acme.scan", 412));
        Assert.Equal(1000L, await store.Packages.PackageSizeForSiteAsync(acmeSites[1], Sha('c')));
        Assert.Null(await store.Packages.PackageSizeForSiteAsync(defaultSite, Sha('c')));
        Assert.Null(await store.Packages.PackageSizeForSiteAsync(acmeSites[0], Sha('d')));
    }

    [SkippableFact]
    public async Task A_new_sites_first_feed_has_the_key_then_its_tenants_packages_then_the_blueprints()
    {
        // Arrange
        var store = await NewStoreAsync();
        using var signer = ManifestSigner.FromPkcs8Pem(await store.SigningKeys.EnsureSigningKeyAsync());
        var acme = (await store.Tenants.AddTenantAsync("Acme")).TenantId;
        await store.Blueprints.UpsertBlueprintAsync(Tenant, Blueprint.Empty("pickers"));
        await store.Packages.PublishPackageAsync(Tenant, signer.Sign(Manifest("com.acme.scan", 412, Sha('1'))), signer.KeyId);
        Time.Advance(TimeSpan.FromMinutes(1));
        await store.Packages.PublishPackageAsync(Tenant, signer.Sign(Manifest("com.acme.scan", 413, Sha('2')) with { PublishedAt = PublishedAt.AddMinutes(1) }), signer.KeyId);
        await store.Packages.PublishPackageAsync(acme, signer.Sign(Manifest("com.other.app", 1, Sha('3'))), signer.KeyId);

        // Act
        var site = (await store.Sites.AddSiteAsync(Tenant, "Lyon DC")).SiteId;

        // Assert
        var feed = await store.Feed.ReadFeedAsync(site, Named, 10);
        Assert.Equal(
            [HubChange.ChangeOneofCase.SigningKey, HubChange.ChangeOneofCase.PackagePublished, HubChange.ChangeOneofCase.PackagePublished,
             HubChange.ChangeOneofCase.BlueprintUpserted],
            feed.Select(c => c.ChangeCase));
        Assert.Equal(signer.KeyId, feed[0].SigningKey.KeyId);
        Assert.Equal([412L, 413L], feed.Skip(1).Take(2).Select(c => c.PackagePublished.VersionCode));
        var verifier = ManifestVerifier.FromPem(feed[0].SigningKey.PublicKeyPem);
        Assert.All(feed.Skip(1).Take(2), c => Assert.True(verifier.Verify(SignedOf(c.PackagePublished))));
    }

    [SkippableFact]
    public async Task Packages_list_by_name_and_version_and_publishing_needs_a_known_tenant()
    {
        // Arrange
        var store = await NewStoreAsync();
        using var signer = ManifestSigner.FromPkcs8Pem(await store.SigningKeys.EnsureSigningKeyAsync());
        await store.Packages.PublishPackageAsync(Tenant, signer.Sign(Manifest("com.acme.scan", 413, Sha('5'))), signer.KeyId);
        await store.Packages.PublishPackageAsync(Tenant, signer.Sign(Manifest("com.acme.scan", 412, Sha('4'))), signer.KeyId);
        await store.Packages.PublishPackageAsync(Tenant, signer.Sign(Manifest("com.acme.browser", 7, Sha('6'))), signer.KeyId);

        // Act
        var all = await store.Packages.ListPackagesAsync(Tenant);
        var scan = await store.Packages.ListPackagesAsync(Tenant, "com.acme.scan");

        // Assert
        Assert.Equal([("com.acme.browser", 7L), ("com.acme.scan", 412L), ("com.acme.scan", 413L)], all.Select(p => (p.Manifest.PackageName, p.Manifest.VersionCode)));
        Assert.Equal([412L, 413L], scan.Select(p => p.Manifest.VersionCode));
        await Assert.ThrowsAsync<StoreConflictException>(() => store.Packages.PublishPackageAsync("no-such-tenant", signer.Sign(Manifest("com.acme.scan", 1, Sha('7'))), signer.KeyId));
    }

    private static PackageManifest Manifest(string packageName, long versionCode, string sha256) =>
        new(sha256, packageName, versionCode, "4.1.2", 1000, null, PublishedAt);

    /// <summary>A SHA-256-shaped name made of one repeated hex digit.</summary>
    private static string Sha(char digit) => new(digit, 64);

    private static SignedManifest SignedOf(PackagePublished p) => new(
        new PackageManifest(
            p.Sha256, p.PackageName, p.VersionCode, p.VersionName, p.SizeBytes, p.MinOsVersion.Length == 0 ? null : p.MinOsVersion,
            DateTimeOffset.FromUnixTimeSeconds(p.PublishedUnixSeconds)),
        p.Signature);
}
