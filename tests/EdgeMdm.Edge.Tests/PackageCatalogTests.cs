using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Edge.Tests;

/// <summary>The package catalog from the hub's feed, and what it puts in devices' declarations.</summary>
public sealed class PackageCatalogTests
{
    [Fact]
    public async Task Declarations_carry_the_package_a_blueprint_names_and_the_signing_key()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var scanner = hub.Package(HubCatalog.SeedApp, HubCatalog.SeedVersion, 10_000, minOs: "13");
        var device = await server.EnrollAsync("SN-1");
        var before = await server.DeclarationsAsync(device.DeviceSecret);

        // Act
        await HubCatalog.ApplyAsync(server, hub.Key(), hub.Published(scanner));

        // Assert
        var after = await server.DeclarationsAsync(device.DeviceSecret);
        Assert.NotEqual(before.Token, after.Token);
        Assert.Null(before.PackageSigningKey);
        Assert.Equal(hub.Signer.PublicKeyPem, after.PackageSigningKey);
        var app = Assert.Single(after.Apps);
        var package = Assert.IsType<AppPackage>(app.Package);
        Assert.Equal(
            new AppPackage(scanner.Sha256, 10_000, "13", scanner.Release.Manifest.PublishedAt, scanner.Release.Signature, "/api/v1/packages/" + scanner.Sha256),
            package);
        // What the agent does with it: the declaration and the package rebuild the manifest the hub signed.
        var rebuilt = new PackageManifest(package.Sha256, app.PackageName, app.VersionCode, app.VersionName, package.SizeBytes, package.MinOsVersion, package.PublishedAt);
        Assert.True(ManifestVerifier.FromPem(after.PackageSigningKey!).Verify(new SignedManifest(rebuilt, package.Signature)));
        var checkin = await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest { DeclarationsToken = before.Token });
        Assert.Equal(after.Token, checkin.DeclarationsToken);
    }

    [Fact]
    public async Task Enrollment_hands_out_the_signing_key_once_the_site_has_it()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var without = await server.EnrollAsync("SN-1");

        // Act
        await HubCatalog.ApplyAsync(server, hub.Key());
        var with = await server.EnrollAsync("SN-2");

        // Assert
        Assert.Null(without.PackageSigningKey);
        Assert.Equal(hub.Signer.PublicKeyPem, with.PackageSigningKey);
    }

    [Fact]
    public async Task A_package_whose_signature_does_not_verify_is_not_offered()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        using var otherHub = new HubCatalog();
        var forged = otherHub.Package(HubCatalog.SeedApp, HubCatalog.SeedVersion, 5_000);
        var device = await server.EnrollAsync("SN-1");

        // Act
        await HubCatalog.ApplyAsync(server, hub.Key(), hub.Published(forged.Release));

        // Assert: the site knows it (a 403/404 question later) but neither offers nor pins it
        var declarations = await server.DeclarationsAsync(device.DeviceSecret);
        Assert.Null(Assert.Single(declarations.Apps).Package);
        Assert.NotNull(server.Get<IPackageCatalog>().Current.BySha.GetValueOrDefault(forged.Sha256));
        Assert.Empty(server.Get<IPinnedPackages>().PinnedPackages());
    }

    [Fact]
    public async Task Replayed_package_and_key_changes_leave_the_state_of_one_clean_delivery()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var scanner = hub.Package(HubCatalog.SeedApp, HubCatalog.SeedVersion, 5_000);
        var first = HubCatalog.Batch(hub.Key(), hub.Published(scanner));
        var device = await server.EnrollAsync("SN-1");
        await server.Get<IFeedStore>().ApplyDownstreamAsync(first);
        var once = await server.DeclarationsAsync(device.DeviceSecret);

        // Act: the same batch again, then the same changes at new positions (a wiped cursor replays the feed)
        await server.Get<IFeedStore>().ApplyDownstreamAsync(first);
        await HubCatalog.ApplyAsync(server, hub.Key(), hub.Published(scanner), hub.Key());

        // Assert
        var replayed = await server.DeclarationsAsync(device.DeviceSecret);
        Assert.Equal(once.Token, replayed.Token);
        Assert.Equal(scanner.Sha256, Assert.Single(server.Get<IPinnedPackages>().PinnedPackages()).Manifest.Sha256);
        Assert.Equal(5UL, server.Get<IFeedStore>().FeedPosition);
    }

    [Fact]
    public async Task A_malformed_package_or_key_from_the_feed_is_not_stored_and_the_feed_moves_on()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var scanner = hub.Package(HubCatalog.SeedApp, HubCatalog.SeedVersion, 5_000);
        var badName = hub.Published(scanner);
        badName.PackagePublished.Sha256 = "../../etc/passwd";
        var badKey = hub.Key();
        badKey.SigningKey.PublicKeyPem = "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----";

        // Act
        await HubCatalog.ApplyAsync(server, badName, badKey);

        // Assert
        Assert.Null(server.Get<IPackageCatalog>().Current.BySha.GetValueOrDefault("../../etc/passwd"));
        Assert.Null(server.Get<IPackageCatalog>().Current.Key);
        Assert.Equal(2UL, server.Get<IFeedStore>().FeedPosition);
    }
}
