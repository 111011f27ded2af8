using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeMdm.Agent.Tests;

/// <summary>Server certificates for the tests' own TLS servers on loopback, which no system store trusts (as a site's are not).</summary>
internal static class TestCertificates
{
    /// <summary>
    /// A fresh P-256 certificate for 127.0.0.1, valid from a day ago for a month. Through a PKCS#12 round trip, so
    /// Kestrel and SslStream on Linux can use its key.
    /// </summary>
    public static X509Certificate2 Loopback(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var selfSigned = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(selfSigned.Export(X509ContentType.Pkcs12), password: null);
    }
}
