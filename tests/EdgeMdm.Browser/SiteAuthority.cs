using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeMdm.Browser;

/// <summary>
/// One site CA for the whole test run, shaped as the one an appliance makes for itself (ECDSA P-256, a CA limited to
/// issuing server certificates directly, PEM files <c>site-ca.pem</c> and <c>site-ca.key</c>), and handed to every
/// appliance a browser test starts (<see cref="PrepareDataDirectory"/>): an appliance that finds these files in
/// <c>DATA/tls</c> issues its server certificate from them, as after a restore. So one browser that trusts this authority
/// reaches every appliance of the run, each with a server certificate of its own.
/// </summary>
internal sealed class SiteAuthority
{
    private static readonly Lazy<SiteAuthority> Shared = new(Create);

    private SiteAuthority(string directory, string subject)
    {
        Directory = directory;
        Subject = subject;
    }

    /// <summary>Where <c>site-ca.pem</c> and <c>site-ca.key</c> are.</summary>
    public string Directory { get; }

    /// <summary>The authority's distinguished name (<c>CN=EdgeMdm site CA test-…</c>): the issuer of every appliance's certificate.</summary>
    public string Subject { get; }

    public string CertificatePath => Path.Combine(Directory, "site-ca.pem");

    public static SiteAuthority Get() => Shared.Value;

    /// <summary>Copies the authority (certificate and key) into <c><paramref name="dataDir"/>/tls</c> before an appliance starts there.</summary>
    public void PrepareDataDirectory(string dataDir)
    {
        // Owner-only, as the appliance makes them itself: it refuses to start on a key directory others may enter.
        var tls = Path.Combine(dataDir, "tls");
        System.IO.Directory.CreateDirectory(tls);
        foreach (var file in new[] { "site-ca.pem", "site-ca.key" })
            File.Copy(Path.Combine(Directory, file), Path.Combine(tls, file), overwrite: true);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(tls, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(Path.Combine(tls, "site-ca.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static SiteAuthority Create()
    {
        var directory = Path.Combine(Path.GetTempPath(), "edgemdm-browser-ca-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteQuietly(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedName("CN=EdgeMdm site CA test-" + Guid.NewGuid().ToString("N")[..12]);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        using var authority = request.CreateSelfSigned(now.AddHours(-1), now.AddYears(1));
        File.WriteAllText(Path.Combine(directory, "site-ca.key"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(directory, "site-ca.pem"), authority.ExportCertificatePem());
        return new SiteAuthority(directory, subject.Name);
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp directory: harmless.
        }
    }
}
