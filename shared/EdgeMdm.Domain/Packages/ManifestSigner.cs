using System.Security.Cryptography;

namespace EdgeMdm.Domain.Packages;

/// <summary>
/// The hub's side of package signing: an ECDSA P-256 private key (from .NET's own crypto, no extra library)
/// that signs manifests. The hub keeps the key in a file as unencrypted PKCS#8 PEM, protected by the file's
/// permissions like its database; sites and agents only ever get <see cref="PublicKeyPem"/>.
/// Safe to share between threads.
/// </summary>
public sealed class ManifestSigner : IDisposable
{
    private readonly ECDsa _key;

    // ECDsa instances are not documented as thread-safe; uploads are rare, so one lock costs nothing.
    private readonly Lock _gate = new();

    private ManifestSigner(ECDsa key)
    {
        _key = key;
        KeyId = SigningKey.KeyId(key);
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
    }

    /// <summary>SHA-256 hex of the public key (SubjectPublicKeyInfo DER): what a site shows as the key it trusts.</summary>
    public string KeyId { get; }

    /// <summary>The public key as SubjectPublicKeyInfo PEM (<c>-----BEGIN PUBLIC KEY-----</c>), for sites and agents.</summary>
    public string PublicKeyPem { get; }

    /// <summary>A fresh random P-256 key: the only randomness in the domain.</summary>
    public static ManifestSigner CreateNew() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>
    /// Reads a key written by <see cref="ExportPkcs8Pem"/> (<c>-----BEGIN PRIVATE KEY-----</c>). Throws
    /// <see cref="ArgumentException"/> for anything else: no such PEM block, a key of another algorithm or
    /// another curve. The hub should fail at start rather than sign with a key sites will not accept.
    /// </summary>
    public static ManifestSigner FromPkcs8Pem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var der = SigningKey.PemBody(pem, "PRIVATE KEY")
            ?? throw new ArgumentException("the signing key file holds no '-----BEGIN PRIVATE KEY-----' (PKCS#8) block", nameof(pem));
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(der, out var read);
            if (read != der.Length)
                throw new ArgumentException("the signing key has trailing bytes after the PKCS#8 structure", nameof(pem));
            if (!SigningKey.IsP256(key))
                throw new ArgumentException("the signing key is an EC key on another curve; only P-256 is accepted", nameof(pem));
            return new ManifestSigner(key);
        }
        catch (CryptographicException exception)
        {
            key.Dispose();
            throw new ArgumentException("the signing key is not an ECDSA P-256 PKCS#8 private key", nameof(pem), exception);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The private key as unencrypted PKCS#8 PEM, for the hub's key file.</summary>
    public string ExportPkcs8Pem()
    {
        lock (_gate)
            return _key.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>
    /// Signs the manifest's canonical bytes. Throws <see cref="ArgumentException"/> (naming the bad fields) for
    /// an invalid manifest: a signature must never vouch for something an agent would refuse anyway.
    /// </summary>
    public SignedManifest Sign(PackageManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var errors = manifest.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("the manifest is invalid: " + string.Join("; ", errors.Select(e => $"{e.Key} {e.Value[0]}")), nameof(manifest));
        byte[] signature;
        lock (_gate)
            signature = _key.SignData(manifest.CanonicalBytes(), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new SignedManifest(manifest, Convert.ToBase64String(signature));
    }

    /// <summary>
    /// Signs arbitrary bytes (IEEE P1363, r || s, 64 bytes): the hub's feed items and key rotations, whose canonical
    /// forms the sync contract defines. The caller owns domain separation: each kind of content starts with its own tag.
    /// </summary>
    public byte[] SignBytes(ReadOnlySpan<byte> data)
    {
        lock (_gate)
            return _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    public void Dispose() => _key.Dispose();
}
