using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeMdm.Discovery.Service;

/// <summary>
/// What a device pins of the appliance's TLS certificate: the SHA-256 of its SubjectPublicKeyInfo (RFC 7469's pin), in
/// lower-case hex. The key, not the certificate: the appliance issues its certificate again before it expires, for the
/// same key, and a device must keep connecting.
/// </summary>
public static class TlsPin
{
    public static string Of(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var loaded = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return Convert.ToHexStringLower(SHA256.HashData(loaded.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Whether <paramref name="certificate"/>'s key is the pinned one (hex, either case).</summary>
    public static bool Matches(X509Certificate? certificate, string pin) =>
        certificate is not null && string.Equals(Of(certificate), pin, StringComparison.OrdinalIgnoreCase);
}
