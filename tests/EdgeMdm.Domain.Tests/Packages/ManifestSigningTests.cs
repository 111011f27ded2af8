using System.Security.Cryptography;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Domain.Tests.Packages;

public sealed class ManifestSigningTests : IDisposable
{
    private readonly ManifestSigner _signer = ManifestSigner.CreateNew();

    public void Dispose() => _signer.Dispose();

    private ManifestVerifier Verifier() => ManifestVerifier.FromPem(_signer.PublicKeyPem);

    [Fact]
    public void A_signed_manifest_verifies_with_the_hub_public_key()
    {
        // Arrange
        var signed = _signer.Sign(PackageManifestTests.Valid());

        // Act / Assert
        Assert.True(Verifier().Verify(signed));
        Assert.Equal(64, Convert.FromBase64String(signed.Signature).Length);
    }

    [Fact]
    public void Every_field_is_covered_by_the_signature()
    {
        // Arrange
        var signed = _signer.Sign(PackageManifestTests.Valid());
        var m = signed.Manifest;
        PackageManifest[] changed =
        [
            m with { Sha256 = new string('b', 64) },
            m with { PackageName = "com.acme.scanner" },
            m with { VersionCode = 413 },
            m with { VersionName = "4.1.3" },
            m with { SizeBytes = 1_048_577 },
            m with { MinOsVersion = "12" },
            m with { MinOsVersion = null },
            m with { PublishedAt = m.PublishedAt.AddSeconds(1) },
        ];

        // Act / Assert
        Assert.All(changed, c => Assert.False(Verifier().Verify(signed with { Manifest = c })));
    }

    [Fact]
    public void Another_key_signature_does_not_verify()
    {
        // Arrange
        using var other = ManifestSigner.CreateNew();
        var signedByOther = other.Sign(PackageManifestTests.Valid());

        // Act / Assert
        Assert.False(Verifier().Verify(signedByOther));
        Assert.NotEqual(other.KeyId, _signer.KeyId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64 at all!")]
    [InlineData("AAAA")]
    [InlineData("====")]
    public void A_malformed_signature_is_false_not_an_exception(string signature)
    {
        // Arrange
        var signed = _signer.Sign(PackageManifestTests.Valid()) with { Signature = signature };

        // Act / Assert
        Assert.False(Verifier().Verify(signed));
    }

    [Theory]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(72)]
    public void A_signature_of_the_wrong_length_is_false(int length)
    {
        // Arrange: 72 bytes is the size of a DER-encoded signature, the other common format
        var bytes = Convert.FromBase64String(_signer.Sign(PackageManifestTests.Valid()).Signature);
        var resized = new byte[length];
        bytes.AsSpan(0, Math.Min(length, bytes.Length)).CopyTo(resized);
        var signed = _signer.Sign(PackageManifestTests.Valid()) with { Signature = Convert.ToBase64String(resized) };

        // Act / Assert
        Assert.False(Verifier().Verify(signed));
    }

    [Fact]
    public void A_flipped_bit_in_the_signature_is_false()
    {
        // Arrange
        var signed = _signer.Sign(PackageManifestTests.Valid());
        var bytes = Convert.FromBase64String(signed.Signature);
        bytes[10] ^= 0x01;

        // Act / Assert
        Assert.False(Verifier().Verify(signed with { Signature = Convert.ToBase64String(bytes) }));
    }

    [Fact]
    public void Null_or_invalid_input_is_false_not_an_exception()
    {
        // Arrange
        var signed = _signer.Sign(PackageManifestTests.Valid());

        // Act / Assert
        Assert.False(Verifier().Verify(null));
        Assert.False(Verifier().Verify(signed with { Manifest = null! }));
        Assert.False(Verifier().Verify(signed with { Signature = null! }));
        Assert.False(Verifier().Verify(signed with { Manifest = new PackageManifest(null!, null!, 0, null!, 0, null, default) }));
    }

    [Fact]
    public void An_invalid_manifest_is_never_signed()
    {
        // Act
        var error = Assert.Throws<ArgumentException>(() => _signer.Sign(PackageManifestTests.Valid() with { VersionCode = -1 }));

        // Assert
        Assert.Contains("versionCode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_private_key_survives_a_round_trip_through_pkcs8_pem()
    {
        // Arrange
        var pem = _signer.ExportPkcs8Pem();

        // Act
        using var reloaded = ManifestSigner.FromPkcs8Pem(pem);
        var signedAfterRestart = reloaded.Sign(PackageManifestTests.Valid());

        // Assert
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", pem, StringComparison.Ordinal);
        Assert.Equal(_signer.KeyId, reloaded.KeyId);
        Assert.Equal(_signer.PublicKeyPem, reloaded.PublicKeyPem);
        Assert.True(Verifier().Verify(signedAfterRestart));
    }

    [Fact]
    public void The_key_id_is_the_sha256_of_the_public_key_der_on_every_side()
    {
        // Arrange
        using var key = ECDsa.Create();
        key.ImportFromPem(_signer.PublicKeyPem);
        var der = key.ExportSubjectPublicKeyInfo();

        // Act
        var fromPem = ManifestVerifier.FromPem(_signer.PublicKeyPem);
        var fromDer = ManifestVerifier.FromDer(der);

        // Assert
        var expected = Convert.ToHexStringLower(SHA256.HashData(der));
        Assert.Equal(expected, _signer.KeyId);
        Assert.Equal(expected, fromPem.KeyId);
        Assert.Equal(expected, fromDer.KeyId);
        Assert.True(fromDer.Verify(_signer.Sign(PackageManifestTests.Valid())));
    }

    [Fact]
    public void The_public_key_pem_is_subject_public_key_info()
    {
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", _signer.PublicKeyPem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_public_key_on_another_curve_is_refused()
    {
        // Arrange
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        // Act / Assert
        Assert.Throws<ArgumentException>(() => ManifestVerifier.FromPem(p384.ExportSubjectPublicKeyInfoPem()));
        Assert.Throws<ArgumentException>(() => ManifestVerifier.FromDer(p384.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void An_rsa_public_key_is_refused()
    {
        // Arrange
        using var rsa = RSA.Create(2048);

        // Act / Assert
        Assert.Throws<ArgumentException>(() => ManifestVerifier.FromPem(rsa.ExportSubjectPublicKeyInfoPem()));
    }

    [Fact]
    public void A_private_key_on_another_curve_or_algorithm_is_refused_for_signing()
    {
        // Arrange
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);

        // Act / Assert
        Assert.Throws<ArgumentException>(() => ManifestSigner.FromPkcs8Pem(p384.ExportPkcs8PrivateKeyPem()));
        Assert.Throws<ArgumentException>(() => ManifestSigner.FromPkcs8Pem(rsa.ExportPkcs8PrivateKeyPem()));
    }

    [Fact]
    public void A_site_is_never_handed_the_private_key_as_its_trust()
    {
        // The verifier reads only a PUBLIC KEY block, so a copied key file fails loudly at the site.
        Assert.Throws<ArgumentException>(() => ManifestVerifier.FromPem(_signer.ExportPkcs8Pem()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")]
    public void Garbage_is_not_a_key(string pem)
    {
        Assert.Throws<ArgumentException>(() => ManifestVerifier.FromPem(pem));
        Assert.Throws<ArgumentException>(() => ManifestSigner.FromPkcs8Pem(pem.Replace("PUBLIC", "PRIVATE", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_public_key_with_trailing_bytes_is_refused()
    {
        // Arrange
        var der = ManifestVerifierDer();
        var padded = new byte[der.Length + 1];
        der.CopyTo(padded, 0);

        // Act / Assert
        Assert.Throws<ArgumentException>(() => ManifestVerifier.FromDer(padded));
    }

    private byte[] ManifestVerifierDer()
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(_signer.PublicKeyPem);
        return key.ExportSubjectPublicKeyInfo();
    }
}
