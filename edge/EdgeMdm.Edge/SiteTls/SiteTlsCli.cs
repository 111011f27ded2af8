using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using EdgeMdm.Discovery.Service;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.SiteTls;

/// <summary>
/// <c>tls show [--json]</c>: what an operator hands to devices and clients — the pin of the certificate https is served
/// with, and the site CA file to trust. Works with or without <c>serve</c> running on the data directory: the site
/// certificates are made the first time either asks for them, one process at a time.
/// </summary>
public static class SiteTlsCli
{
    public static Command Tls(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var show = commands.Create("show", "the served certificate's pin (for edgemdm-agent --pin), the site CA file, names and expiry", [], cli =>
        {
            var shown = Show(cli.Get<IConfiguration>(), () => cli.Get<SiteCertificates>());
            return cli.Print(shown, () =>
            {
                Console.WriteLine($"pin          {shown.Pin}");
                Console.WriteLine($"certificate  {shown.CertificateFile} ({shown.Source})");
                Console.WriteLine($"site CA      {shown.AuthorityFile ?? "(none: a configured certificate is served)"}");
                Console.WriteLine($"not after    {shown.NotAfter.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}");
                Console.WriteLine($"names        {string.Join(", ", shown.HostNames)}");
                Console.WriteLine($"addresses    {string.Join(", ", shown.Addresses)}");
            });
        });
        return new Command("tls", "the site's TLS certificate") { show };
    }

    private static SiteTlsShown Show(IConfiguration configuration, Func<SiteCertificates> site)
    {
        using var configured = SiteTlsRegistration.ConfiguredCertificate(configuration);
        if (configured is not null)
        {
            var names = configured.Extensions.OfType<X509SubjectAlternativeNameExtension>().SingleOrDefault();
            return new SiteTlsShown(
                TlsPin.Of(configured), "configured", configuration["Kestrel:Certificates:Default:Path"]!, null, NotAfter(configured),
                names?.EnumerateDnsNames().ToList() ?? [], names?.EnumerateIPAddresses().Select(a => a.ToString()).ToList() ?? []);
        }

        var certificates = site();
        var server = certificates.Server;
        return new SiteTlsShown(
            certificates.Pin, "site", certificates.ServerPath, certificates.AuthorityPath, NotAfter(server),
            certificates.HostNames, certificates.Addresses.Select(a => a.ToString()).ToList());
    }

    private static DateTimeOffset NotAfter(X509Certificate2 certificate) => new(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
}

/// <summary>What <c>tls show</c> prints.</summary>
/// <param name="Pin">Hex SHA-256 of the served certificate's SubjectPublicKeyInfo: <c>edgemdm-agent --pin</c>.</param>
/// <param name="Source"><c>site</c> (made by the appliance) or <c>configured</c> (<c>Kestrel:Certificates:Default</c>).</param>
/// <param name="AuthorityFile">The site CA (PEM) for <c>curl --cacert</c> or <c>openssl -CAfile</c>; null with a configured certificate.</param>
public sealed record SiteTlsShown(
    string Pin,
    string Source,
    string CertificateFile,
    string? AuthorityFile,
    DateTimeOffset NotAfter,
    IReadOnlyList<string> HostNames,
    IReadOnlyList<string> Addresses);
