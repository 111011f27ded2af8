using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Edge.Tests;

/// <summary>A package file and its manifest signed by the test hub's key.</summary>
public sealed record TestPackage(byte[] Bytes, SignedManifest Release)
{
    public string Sha256 => Release.Manifest.Sha256;

    public long Length => Bytes.LongLength;
}

/// <summary>
/// Plays the hub's part of the feed for a test appliance: a signing key, signed packages and blueprints, sent as
/// <see cref="HubChange"/>s with increasing positions through <see cref="SqliteEdgeStore.ApplyDownstreamAsync"/>.
/// </summary>
public sealed class HubCatalog : IDisposable
{
    /// <summary>What the test seed's blueprints (both groups) name.</summary>
    public const string SeedApp = "com.edgemdm.sample.scanner";

    public const long SeedVersion = 100;

    private static readonly DateTimeOffset PublishedAt = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The site the test seed names: what the test hub signs its feed changes for.</summary>
    public const string SiteId = "dc-demo-01";

    private ulong _position;

    /// <summary>
    /// The test hub's feed key: <see cref="EdgeServer"/> trusts it from the start (as if the feed's anchor had
    /// arrived), and <see cref="Batch"/> signs with it.
    /// </summary>
    public static ManifestSigner FeedKey { get; } = ManifestSigner.CreateNew();

    public ManifestSigner Signer { get; } = ManifestSigner.CreateNew();

    /// <summary>A package of <paramref name="size"/> reproducible pseudo-random bytes, signed by <see cref="Signer"/>.</summary>
    public TestPackage Package(string packageName, long versionCode, int size, string? minOs = null)
    {
        var bytes = new byte[size];
        new Random(packageName.Sum(c => c) + (int)versionCode * 7919 + size).NextBytes(bytes);
        bytes[0] = (byte)versionCode;
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var manifest = new PackageManifest(sha256, packageName, versionCode, "v" + versionCode, size, minOs, PublishedAt);
        return new TestPackage(bytes, Signer.Sign(manifest));
    }

    public HubChange Key() => Next(change => change.SigningKey = new PackageSigningKey { PublicKeyPem = Signer.PublicKeyPem, KeyId = Signer.KeyId });

    public HubChange Published(TestPackage package) => Published(package.Release);

    public HubChange Published(SignedManifest release)
    {
        var manifest = release.Manifest;
        return Next(change => change.PackagePublished = new PackagePublished
        {
            Sha256 = manifest.Sha256,
            PackageName = manifest.PackageName,
            VersionCode = manifest.VersionCode,
            VersionName = manifest.VersionName,
            SizeBytes = manifest.SizeBytes,
            MinOsVersion = manifest.MinOsVersion ?? "",
            PublishedUnixSeconds = manifest.PublishedAt.ToUnixTimeSeconds(),
            Signature = release.Signature,
        });
    }

    /// <summary>A blueprint for <paramref name="group"/> that requires exactly these apps.</summary>
    public HubChange Blueprint(string group, params TestPackage[] apps)
    {
        var blueprint = new Blueprint(
            group, apps.Select(a => new RequiredApp(a.Release.Manifest.PackageName, a.Release.Manifest.VersionCode, a.Release.Manifest.VersionName)).ToList(),
            null, [], [], null);
        return Blueprint(blueprint);
    }

    /// <summary>The blueprint as the hub sends it, rollouts (id, from-version, plan) included, its JSON's signed hash beside it.</summary>
    public HubChange Blueprint(Blueprint blueprint)
    {
        ArgumentNullException.ThrowIfNull(blueprint);
        return Next(change => change.BlueprintUpserted = Upserted(blueprint));
    }

    /// <summary>A blueprint upsert as the hub sends it: the clear JSON and the SHA-256 that is signed in its stead.</summary>
    public static BlueprintUpserted Upserted(Blueprint blueprint)
    {
        ArgumentNullException.ThrowIfNull(blueprint);
        var json = JsonSerializer.Serialize(blueprint, BlueprintJson.Default.Blueprint);
        return new BlueprintUpserted { Group = blueprint.Group, BlueprintJson = json, BlueprintSha256 = FeedSignatures.BlueprintSha256(json) };
    }

    /// <summary>One batch through the last of <paramref name="changes"/>, each signed by <see cref="FeedKey"/> unless signed already.</summary>
    public static DownstreamBatch Batch(params HubChange[] changes) =>
        AsGiven(changes.Select(c => c.Signature.IsEmpty ? SignedBy(c, FeedKey) : c).ToArray());

    /// <summary>One batch through the last of <paramref name="changes"/>, the changes as given.</summary>
    public static DownstreamBatch AsGiven(params HubChange[] changes)
    {
        var batch = new DownstreamBatch { ThroughPosition = changes.Max(c => c.Position) };
        batch.Changes.AddRange(changes);
        return batch;
    }

    /// <summary>The change as the hub's feed writer stores it: for <paramref name="siteId"/>, signed by <paramref name="key"/>.</summary>
    public static HubChange SignedBy(HubChange change, ManifestSigner key, string siteId = SiteId)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(key);
        var signed = change.Clone();
        signed.SiteId = siteId;
        signed.KeyId = key.KeyId;
        signed.Signature = Google.Protobuf.ByteString.CopyFrom(key.SignBytes(FeedSignatures.CanonicalBytes(signed)));
        return signed;
    }

    public static Task ApplyAsync(EdgeServer server, params HubChange[] changes) => server.Get<IFeedStore>().ApplyDownstreamAsync(Batch(changes));

    /// <summary>Puts the package in the cache the way the fetcher does: the whole <c>.part</c> file, then admission.</summary>
    public static async Task CacheAsync(EdgeServer server, TestPackage package)
    {
        await File.WriteAllBytesAsync(server.Cache.PartPathOf(package.Sha256), package.Bytes);
        Assert.Equal(Packages.Admission.Admitted, await server.Cache.AdmitAsync(package.Release, CancellationToken.None));
    }

    private HubChange Next(Action<HubChange> fill)
    {
        var change = new HubChange { Position = ++_position, AtUnixMs = 1_700_000_000_000 + (long)_position };
        fill(change);
        return change;
    }

    public void Dispose() => Signer.Dispose();
}
