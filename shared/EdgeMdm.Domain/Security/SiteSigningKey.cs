using System.Security.Cryptography;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Domain.Security;

/// <summary>
/// The site's key for what it hands its devices (declaration sets, commands): the private half of the appliance's TLS
/// server key, so the key a device pinned for the connection is the key it checks every signature against. ECDSA P-256,
/// SHA-256, IEEE P1363 (r‖s, 64 bytes). Holds its own copy of the key; safe to share between threads.
/// </summary>
public sealed class SiteSigningKey : IDisposable
{
    private readonly ECDsa _key;

    // ECDsa instances are not documented as thread-safe; signing takes microseconds, so one lock costs nothing.
    private readonly Lock _gate = new();

    private SiteSigningKey(ECDsa key)
    {
        _key = key;
        var spki = key.ExportSubjectPublicKeyInfo();
        SubjectPublicKeyInfo = Convert.ToBase64String(spki);
        KeySha256 = Convert.ToHexStringLower(SHA256.HashData(spki));
    }

    /// <summary>The public key, SubjectPublicKeyInfo DER in base64: what a signed document carries as its signer.</summary>
    public string SubjectPublicKeyInfo { get; }

    /// <summary>Lowercase hex SHA-256 of the SubjectPublicKeyInfo DER: the TLS pin of a server certificate with this key.</summary>
    public string KeySha256 { get; }

    /// <summary>A copy of <paramref name="key"/>'s private key. Throws <see cref="ArgumentException"/> unless it is a P-256 key.</summary>
    public static SiteSigningKey From(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var parameters = key.ExportParameters(includePrivateParameters: true);
        var copy = ECDsa.Create(parameters);
        if (!SigningKeys.IsP256(copy))
        {
            copy.Dispose();
            throw new ArgumentException("the site signing key must be an ECDSA P-256 key", nameof(key));
        }

        return new SiteSigningKey(copy);
    }

    /// <summary>A fresh random key (tests, and a stand-alone signer).</summary>
    public static SiteSigningKey CreateNew() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>The base64 signature over <paramref name="data"/>.</summary>
    public string Sign(ReadOnlySpan<byte> data)
    {
        lock (_gate)
            return Convert.ToBase64String(_key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>The checks both signed forms share: who signed (the key's SHA-256) and whether the signature holds.</summary>
public static class SigningKeys
{
    /// <summary>Lowercase hex SHA-256 of a base64 SubjectPublicKeyInfo; null when it is missing or not base64.</summary>
    public static string? KeySha256(string? subjectPublicKeyInfo)
    {
        if (string.IsNullOrEmpty(subjectPublicKeyInfo))
            return null;
        try
        {
            return Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(subjectPublicKeyInfo)));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The signer's key id (hex SHA-256 of <paramref name="subjectPublicKeyInfo"/>) when it is the trusted one, or any
    /// well-formed key while nothing is trusted yet (<paramref name="trustedKeySha256"/> null: trust on first use); null otherwise.
    /// </summary>
    public static string? TrustedSigner(string? subjectPublicKeyInfo, string? trustedKeySha256, out string? signer)
    {
        signer = KeySha256(subjectPublicKeyInfo);
        return signer is not null && (trustedKeySha256 is null || string.Equals(signer, trustedKeySha256, StringComparison.OrdinalIgnoreCase)) ? signer : null;
    }

    /// <summary>
    /// True only when <paramref name="signature"/> (base64 P1363) is the P-256 key <paramref name="subjectPublicKeyInfo"/>'s
    /// signature over <paramref name="data"/>; anything malformed is false, never an exception.
    /// </summary>
    public static bool Verify(string? subjectPublicKeyInfo, ReadOnlySpan<byte> data, string? signature)
    {
        if (string.IsNullOrEmpty(subjectPublicKeyInfo) || string.IsNullOrEmpty(signature))
            return false;
        try
        {
            var verifier = ManifestVerifier.FromDer(Convert.FromBase64String(subjectPublicKeyInfo));
            return verifier.VerifyBytes(data, Convert.FromBase64String(signature));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return false;
        }
    }

    internal static bool IsP256(ECDsa key) => SigningKey.IsP256(key);
}
