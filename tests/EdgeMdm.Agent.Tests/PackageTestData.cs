using System.Security.Cryptography;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Agent.Tests;

/// <summary>A package file, its manifest signed by a test key, and the declaration that names it.</summary>
public sealed record TestPackage(byte[] Bytes, string Sha256, AppDeclaration Declaration)
{
    public static readonly DateTimeOffset PublishedAt = new(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);

    public AppPackage Package => Declaration.Package!;

    /// <summary>Random bytes of <paramref name="size"/>; seeded so a failing test fails the same way again.</summary>
    public static TestPackage Create(ManifestSigner signer, int size = 300_000, string packageName = "com.acme.scan", long versionCode = 200, string? minOsVersion = null, int seed = 7)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var manifest = new PackageManifest(sha256, packageName, versionCode, "2.0.0", size, minOsVersion, PublishedAt);
        var signed = signer.Sign(manifest);
        var declaration = new AppDeclaration(packageName, versionCode, "2.0.0")
        {
            Package = new AppPackage(sha256, size, minOsVersion, PublishedAt, signed.Signature, "/api/v1/packages/" + sha256),
        };
        return new TestPackage(bytes, sha256, declaration);
    }

    /// <summary>Declarations naming only this package, carrying <paramref name="signingKeyPem"/>.</summary>
    public DeclarationsDocument Declarations(string? signingKeyPem, string token = "decl-1") =>
        new DeclarationsDocument(token, "floor", [Declaration], null, [], [], null) { PackageSigningKey = signingKeyPem };
}
