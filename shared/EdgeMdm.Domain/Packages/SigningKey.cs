using System.Security.Cryptography;

namespace EdgeMdm.Domain.Packages;

/// <summary>What the signer and the verifier agree on: the one curve we accept and how a key is named.</summary>
internal static class SigningKey
{
    /// <summary>OID of NIST P-256 (secp256r1). Compared by value: friendly names differ between platforms.</summary>
    private const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>Length of an IEEE P1363 P-256 signature: r and s, 32 bytes each.</summary>
    public const int SignatureBytes = 64;

    public static bool IsP256(ECDsa key)
    {
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        return curve.IsNamed && string.Equals(curve.Oid.Value, P256Oid, StringComparison.Ordinal);
    }

    /// <summary>
    /// Lowercase hex SHA-256 of the key's SubjectPublicKeyInfo DER as .NET exports it (uncompressed point), so
    /// the hub and every site compute the same id for the same key whatever encoding they were handed.
    /// </summary>
    public static string KeyId(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));

    /// <summary>The DER inside a PEM block with exactly <paramref name="label"/>, or null when there is none.</summary>
    public static byte[]? PemBody(string pem, string label)
    {
        if (!PemEncoding.TryFind(pem, out var fields))
            return null;
        if (!pem.AsSpan()[fields.Label].SequenceEqual(label))
            return null;
        var body = new byte[fields.DecodedDataLength];
        return Convert.TryFromBase64Chars(pem.AsSpan()[fields.Base64Data], body, out var written) && written == body.Length ? body : null;
    }
}
