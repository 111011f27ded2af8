using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeMdm.Domain.Security;
using EdgeMdm.ServiceDefaults.Durability;
using EdgeMdm.ServiceDefaults.OwnerOnly;

namespace EdgeMdm.Edge.SiteTls;

/// <summary>
/// The site's own TLS, made by the appliance with no uplink: a certificate authority created once in
/// <c>DATA/tls</c>, and the server certificate it issues for the appliance's host names and addresses (ECDSA P-256,
/// .NET's own crypto). The server certificate is issued again, by the same authority and for the same key, well before
/// it expires, so a device that pinned the server's key (<see cref="Pin"/>) keeps connecting across renewals, and a client
/// that trusts the authority (<c>mosquitto_sub --cafile</c>, a browser given the site CA) trusts every renewal.
/// </summary>
/// <remarks>
/// Lifetimes are far beyond the README's offline budget (90 days): the authority lasts 20 years, a server certificate
/// a year and is replaced once less than <see cref="RenewBefore"/> of it is left, whether or not the hub is reachable.
/// The private keys are written with mode 0600, like the rest of the data directory's secrets. Two processes on one data
/// directory (<c>serve</c> and <c>tls show</c>, started together) make or renew the files one at a time: each holds the
/// directory's <c>lock</c> file while it does, and the second then finds the first's files.
/// </remarks>
public sealed class SiteCertificates : IDisposable
{
    public static readonly TimeSpan AuthorityLifetime = TimeSpan.FromDays(20 * 365);
    public static readonly TimeSpan ServerLifetime = TimeSpan.FromDays(365);
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(120);

    // Issued a little in the past, so a device whose clock lags the appliance's by minutes still accepts it.
    private static readonly TimeSpan Backdate = TimeSpan.FromHours(1);

    // Making the files takes milliseconds; a process still holding the lock after this is stuck, and saying so beats waiting.
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);

    private readonly string _directory;
    private readonly List<string> _hostNames;
    private readonly List<IPAddress> _addresses;
    private readonly TimeProvider _clock;
    private readonly X509Certificate2 _authority;
    private readonly ECDsa _serverKey;
    private readonly Lock _renewal = new();
    private X509Certificate2 _server;

    // The TLS context of the certificate served now (ServerContext), made again only once a renewal hands over another.
    private ServedContext? _served;

    /// <param name="directory">Where the files live (<c>DATA/tls</c>); made when missing.</param>
    /// <param name="hostNames">The DNS names the server certificate names (at least one).</param>
    /// <param name="addresses">The IP addresses it names.</param>
    public SiteCertificates(string directory, IEnumerable<string> hostNames, IEnumerable<IPAddress> addresses, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(hostNames);
        ArgumentNullException.ThrowIfNull(addresses);
        _directory = directory;
        _hostNames = hostNames.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        _addresses = addresses.Distinct().ToList();
        _clock = clock;
        if (_hostNames.Count == 0)
            throw new ArgumentException("the server certificate needs at least one host name", nameof(hostNames));
        OwnerOnlyFiles.CreateDirectory(directory);
        using var exclusive = LockDirectory();
        _authority = LoadOrCreateAuthority();
        _serverKey = LoadOrCreateKey(ServerKeyPath);
        _server = LoadServer() is { } stored && !IsDue(stored) && NamesMatch(stored) ? stored : Issue();
    }

    /// <summary>The authority's certificate (no private key): what a client that validates chains trusts.</summary>
    public X509Certificate2 Authority => X509CertificateLoader.LoadCertificate(_authority.RawData);

    /// <summary>
    /// Hex SHA-256 of the server certificate's SubjectPublicKeyInfo: the pin devices learn (QR code, mDNS TXT). The
    /// server is served without its authority (a client holding only a pin could not check a chain anyway), and every
    /// renewal keeps the key, so the pin holds for the appliance's life.
    /// </summary>
    public string Pin => SpkiSha256(_server);

    /// <summary>The authority's certificate file (PEM): what <c>curl --cacert</c>, <c>openssl -CAfile</c> or a browser trusts.</summary>
    public string AuthorityPath => Path.Combine(_directory, "site-ca.pem");

    /// <summary>The server certificate's file (PEM), issued again in place at each renewal.</summary>
    public string ServerPath => Path.Combine(_directory, "server.pem");

    /// <summary>The DNS names the server certificate names, the first one also its subject.</summary>
    public IReadOnlyList<string> HostNames => _hostNames;

    /// <summary>The IP addresses the server certificate names.</summary>
    public IReadOnlyList<IPAddress> Addresses => _addresses;

    /// <summary>The server certificate to present now, with its private key; issued again first when it is due.</summary>
    public X509Certificate2 Server
    {
        get
        {
            // Asked on every TLS handshake: only a date is compared until a renewal is due (the names were checked when
            // the certificate was loaded or issued).
            var server = Volatile.Read(ref _server);
            if (!IsDue(server))
                return server;
            lock (_renewal)
            {
                if (IsDue(_server))
                {
                    using var exclusive = LockDirectory();
                    Volatile.Write(ref _server, Issue());
                }

                return _server;
            }
        }
    }

    /// <summary>
    /// What a TLS listener serves <see cref="Server"/> with: its <see cref="SslStreamCertificateContext"/>, made once per
    /// certificate and made again from the first handshake after a renewal, so a renewal still needs no restart.
    /// </summary>
    /// <remarks>
    /// Handing SslStream a certificate instead (a selection callback) makes it build a new context, an X509 chain, on
    /// every handshake: a floor reconnecting at once pays that per device. Built offline: the site CA publishes no
    /// revocation data or issuer URL to fetch. The chain served is the server certificate alone, as before: a client
    /// holding a pin checks no chain, and one that trusts the site CA has it as its root.
    /// </remarks>
    public SslStreamCertificateContext ServerContext
    {
        get
        {
            var server = Server;
            var served = Volatile.Read(ref _served);
            if (served is not null && ReferenceEquals(served.Certificate, server))
                return served.Context;
            // Two handshakes racing after a renewal may both build one; either is correct, and the last one stays.
            var context = SslStreamCertificateContext.Create(server, additionalCertificates: null, offline: true);
            Volatile.Write(ref _served, new ServedContext(server, context));
            return context;
        }
    }

    /// <summary>
    /// Signs <paramref name="data"/> with the site CA's private key (ECDSA P-256, SHA-256, IEEE P1363 r‖s): what the
    /// appliance puts on the things it hands out and must recognise later as its own (a staging QR code).
    /// </summary>
    public byte[] SignWithAuthority(ReadOnlySpan<byte> data)
    {
        using var key = _authority.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the site CA was loaded without its private key");
        return key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Whether <paramref name="signature"/> is the site CA's over <paramref name="data"/> (<see cref="SignWithAuthority"/>).</summary>
    public bool SignedByAuthority(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using var key = _authority.GetECDsaPublicKey() ?? throw new InvalidOperationException("the site CA has no ECDSA key");
        return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>
    /// The server key as the site's signing key (<see cref="SiteSigningKey"/>): what the appliance signs declaration sets
    /// and commands with, so a device that pinned this server's TLS key checks signatures against the same key.
    /// </summary>
    public SiteSigningKey CreateSigningKey() => SiteSigningKey.From(_serverKey);

    public static string SpkiSha256(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    public void Dispose()
    {
        _authority.Dispose();
        _serverKey.Dispose();
        _server.Dispose();
    }

    private string AuthorityKeyPath => KeyPathsIn(_directory)[0];

    private string ServerKeyPath => KeyPathsIn(_directory)[1];

    /// <summary>The directory of the site's certificates and keys inside the data directory.</summary>
    public const string DirectoryName = "tls";

    /// <summary>The directory of the site's certificates under a data directory.</summary>
    public static string DirectoryIn(string dataDir) => Path.Combine(Path.GetFullPath(dataDir), DirectoryName);

    /// <summary>The private keys in <paramref name="directory"/>: the site CA's, then the server's.</summary>
    public static IReadOnlyList<string> KeyPathsIn(string directory) => [Path.Combine(directory, "site-ca.key"), Path.Combine(directory, "server.key")];

    private string LockPath => Path.Combine(_directory, "lock");

    /// <summary>Due for renewal: less than <see cref="RenewBefore"/> of its life left.</summary>
    private bool IsDue(X509Certificate2 server) => _clock.GetUtcNow() >= NotAfter(server) - RenewBefore;

    /// <summary>
    /// The directory's lock, held while files are made or replaced. An exclusive open is an advisory <c>flock</c> on Unix
    /// (a lock file on Windows), released by the kernel if the holder dies, so a crash never leaves the directory locked.
    /// </summary>
    private FileStream LockDirectory()
    {
        var waitedSince = Environment.TickCount64;
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (Environment.TickCount64 - waitedSince < (long)LockTimeout.TotalMilliseconds)
            {
                // Another process is making or renewing the files: its result is read once it lets go.
                Thread.Sleep(50);
            }
            catch (IOException exception)
            {
                throw new IOException($"{LockPath} stayed locked by another process for {LockTimeout.TotalSeconds:0} s", exception);
            }
        }
    }

    private bool NamesMatch(X509Certificate2 server)
    {
        var names = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().SingleOrDefault();
        if (names is null)
            return false;
        return names.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase).SetEquals(_hostNames)
            && names.EnumerateIPAddresses().ToHashSet().SetEquals(_addresses);
    }

    private X509Certificate2 LoadOrCreateAuthority()
    {
        if (File.Exists(AuthorityPath) && File.Exists(AuthorityKeyPath))
            return X509Certificate2.CreateFromPemFile(AuthorityPath, AuthorityKeyPath);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=EdgeMdm site CA " + Guid.NewGuid().ToString("N")[..12]), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = _clock.GetUtcNow();
        var authority = request.CreateSelfSigned(now - Backdate, now + AuthorityLifetime);
        WriteSecret(AuthorityKeyPath, key.ExportPkcs8PrivateKeyPem());
        WriteAtomically(AuthorityPath, authority.ExportCertificatePem());
        return authority;
    }

    private static ECDsa LoadOrCreateKey(string path)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }

        WriteSecret(path, key.ExportPkcs8PrivateKeyPem());
        return key;
    }

    private X509Certificate2? LoadServer() =>
        File.Exists(ServerPath) ? X509Certificate2.CreateFromPemFile(ServerPath, ServerKeyPath) : null;

    private X509Certificate2 Issue()
    {
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + _hostNames[0]), _serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in _hostNames)
            names.AddDnsName(host);
        foreach (var address in _addresses)
            names.AddIpAddress(address);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        var now = _clock.GetUtcNow();
        var notAfter = Min(now + ServerLifetime, NotAfter(_authority));
        // A board without a real-time clock can boot with its clock behind the day its CA was made: the certificate then
        // starts with the CA (a chain can never start earlier) instead of the appliance refusing to start.
        var notBefore = Max(now - Backdate, new DateTimeOffset(_authority.NotBefore.ToUniversalTime(), TimeSpan.Zero));
        using var issued = request.Create(_authority, notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        WriteAtomically(ServerPath, issued.ExportCertificatePem());
        return issued.CopyWithPrivateKey(_serverKey);
    }

    private sealed record ServedContext(X509Certificate2 Certificate, SslStreamCertificateContext Context);

    private static DateTimeOffset NotAfter(X509Certificate2 certificate) => new(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static void WriteSecret(string path, string text)
    {
        WriteAtomically(path, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    // A crash mid-write leaves the previous file or none, never half a certificate.
    private static void WriteAtomically(string path, string text)
    {
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var writer = new StreamWriter(file))
        {
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            writer.Write(text);
            writer.Flush();
            file.Flush(flushToDisk: true);
        }

        DurableFiles.MoveFile(temporary, path, overwrite: true);
    }
}
