using System.Security.Cryptography;

namespace EdgeMdm.Domain.Packages;

/// <summary>
/// The sites' and agents' side of package signing: the hub's public key, and the one question an agent asks
/// before installing: did that key sign this manifest? Holds only the key's bytes and builds an
/// <see cref="ECDsa"/> per check, so one instance can be shared by every thread without a lock and needs no
/// disposal (a check is rare: once per package download).
/// </summary>
public sealed class ManifestVerifier
{
    private readonly byte[] _subjectPublicKeyInfo;

    private ManifestVerifier(byte[] subjectPublicKeyInfo, string keyId)
    {
        _subjectPublicKeyInfo = subjectPublicKeyInfo;
        KeyId = keyId;
    }

    /// <summary>SHA-256 hex of the key's SubjectPublicKeyInfo DER; equals the hub's <see cref="ManifestSigner.KeyId"/>.</summary>
    public string KeyId { get; }

    /// <summary>
    /// From a <c>-----BEGIN PUBLIC KEY-----</c> PEM (SubjectPublicKeyInfo). A private key PEM is refused on
    /// purpose: the signing key must not be copied to sites. Throws <see cref="ArgumentException"/> for
    /// anything that is not a P-256 public key.
    /// </summary>
    public static ManifestVerifier FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var der = SigningKey.PemBody(pem, "PUBLIC KEY")
            ?? throw new ArgumentException("no '-----BEGIN PUBLIC KEY-----' (SubjectPublicKeyInfo) block found", nameof(pem));
        return FromDer(der);
    }

    /// <summary>From SubjectPublicKeyInfo DER. Throws <see cref="ArgumentException"/> for anything that is not a P-256 public key.</summary>
    public static ManifestVerifier FromDer(ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out var read);
            if (read != subjectPublicKeyInfo.Length)
                throw new ArgumentException("the public key has trailing bytes after the SubjectPublicKeyInfo structure", nameof(subjectPublicKeyInfo));
        }
        catch (CryptographicException exception)
        {
            throw new ArgumentException("the public key is not an EC SubjectPublicKeyInfo (only ECDSA P-256 is accepted)", nameof(subjectPublicKeyInfo), exception);
        }

        if (!SigningKey.IsP256(key))
            throw new ArgumentException("the public key is an EC key on another curve; only P-256 is accepted", nameof(subjectPublicKeyInfo));
        return new ManifestVerifier(key.ExportSubjectPublicKeyInfo(), SigningKey.KeyId(key));
    }

    /// <summary>
    /// True only when the manifest is valid and the signature is this key's P1363 signature over its canonical
    /// bytes. Anything else is false, never an exception: a null or malformed manifest, a signature that is not
    /// base64 or not 64 bytes, another key's signature, a changed field. The agent refuses on false.
    /// </summary>
    public bool Verify(SignedManifest? signedManifest)
    {
        if (signedManifest?.Manifest is null || signedManifest.Signature is null || !signedManifest.Manifest.IsValid())
            return false;
        Span<byte> signature = stackalloc byte[SigningKey.SignatureBytes];
        // A longer signature does not fit the buffer and fails here, a shorter one fails the length check.
        if (!Convert.TryFromBase64String(signedManifest.Signature, signature, out var written) || written != SigningKey.SignatureBytes)
            return false;
        return VerifyBytes(signedManifest.Manifest.CanonicalBytes(), signature);
    }

    /// <summary>
    /// True only when <paramref name="signature"/> is this key's P1363 signature over <paramref name="data"/> (see
    /// <see cref="ManifestSigner.SignBytes"/>); a signature of the wrong length or by another key is false, never an exception.
    /// </summary>
    public bool VerifyBytes(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SigningKey.SignatureBytes)
            return false;
        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(_subjectPublicKeyInfo, out _);
            return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
