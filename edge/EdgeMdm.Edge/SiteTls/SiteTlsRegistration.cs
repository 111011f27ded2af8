using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Discovery;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Site;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.SiteTls;

/// <summary>The names the site certificate carries beyond the machine's own (<c>Edge:Tls</c>).</summary>
public sealed class SiteTlsOptions
{
    public const string Section = EdgeOptions.Section + ":Tls";

    /// <summary>Further DNS names devices reach the appliance by (a name on the site's DNS, an mDNS <c>.local</c> name).</summary>
    public IList<string> HostNames { get; } = [];
}

internal sealed class SiteTlsOptionsValidator : IValidateOptions<SiteTlsOptions>
{
    public ValidateOptionsResult Validate(string? name, SiteTlsOptions options)
    {
        var wrong = options.HostNames.Where(host => Uri.CheckHostName(host) != UriHostNameType.Dns).ToList();
        return wrong.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Edge:Tls:HostNames must be DNS names, not {string.Join(", ", wrong.Select(w => $"'{w}'"))}");
    }
}

/// <summary>
/// The site's signing key (<see cref="SiteSigningKey"/>) for what the appliance hands its devices, made when first used:
/// the site certificate must not be made before the seed named the site (its host names come from that name).
/// </summary>
public sealed class SiteSigner(Func<SiteSigningKey> create) : IDisposable
{
    private readonly Lazy<SiteSigningKey> _key = new(create, LazyThreadSafetyMode.ExecutionAndPublication);

    public SiteSigningKey Key => _key.Value;

    public void Dispose()
    {
        if (_key.IsValueCreated)
            _key.Value.Dispose();
    }
}

public static partial class SiteTlsRegistration
{
    /// <summary>
    /// Where <c>serve</c> listens when nothing says otherwise: the device API over TLS on 8443, and plain HTTP on 8080
    /// answering only with a redirect there (and <c>/healthz</c>).
    /// </summary>
    public const string DefaultUrls = "https://0.0.0.0:8443;http://0.0.0.0:8080";

    /// <summary>
    /// Listens on <see cref="DefaultUrls"/> unless listeners are configured: <c>--urls</c>, <c>urls</c> in the configuration,
    /// <c>ASPNETCORE_URLS</c>, or Kestrel endpoints (<c>Kestrel:Endpoints</c>).
    /// </summary>
    public static WebApplicationBuilder UseSiteTlsListeners(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]) && !builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
            builder.WebHost.UseUrls(DefaultUrls.Split(';'));
        return builder;
    }

    /// <summary>
    /// The site certificates (made at first start in <c>DATA/tls</c>) and Kestrel's default HTTPS certificate from them:
    /// <c>--urls https://0.0.0.0:8443</c> needs no other setting. A certificate configured the framework's way
    /// (<c>Kestrel:Certificates:Default</c>) is used instead.
    /// </summary>
    public static IServiceCollection AddSiteTls(this IServiceCollection services)
    {
        services.AddValidatedOptions<SiteTlsOptions, SiteTlsOptionsValidator>(SiteTlsOptions.Section);
        // Made when first asked, which in serve is when Kestrel binds its https listener: after the seed named the site,
        // so the certificate names the site's mDNS host.
        services.AddSingleton(sp => new SiteCertificates(
            SiteCertificates.DirectoryIn(sp.GetRequiredService<IOptions<EdgeOptions>>().Value.DataDir),
            HostNames(
                sp.GetRequiredService<IOptions<SiteTlsOptions>>().Value,
                sp.GetRequiredService<IOptions<MdnsOptions>>().Value.AnnouncedHostName(sp.GetRequiredService<ISiteIdentity>().Site())),
            Addresses(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new SiteSigner(() => SigningKey(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<SiteCertificates>, sp.GetRequiredService<ILoggerFactory>())));
        services.AddHttpsRedirection(redirect => redirect.RedirectStatusCode = StatusCodes.Status308PermanentRedirect);
        services.AddOptions<KestrelServerOptions>().Configure<IServiceProvider, IConfiguration>((kestrel, sp, configuration) =>
            kestrel.ConfigureHttpsDefaults(https =>
            {
                if (configuration["Kestrel:Certificates:Default:Path"] is not null)
                    return;
                var site = sp.GetRequiredService<SiteCertificates>();
                // Kestrel starts an https listener only with a certificate or a selector; the selector is never asked on
                // a handshake, because OnAuthenticate below replaces it with the context.
                https.ServerCertificateSelector = (_, _) => site.Server;
                // Asked on every handshake, so a renewal is served from the next connection on, with no restart; the
                // context, not the certificate, so SslStream does not build one (an X509 chain) per handshake.
                https.OnAuthenticate = (_, tls) =>
                {
                    tls.ServerCertificateSelectionCallback = null;
                    tls.ServerCertificateContext = site.ServerContext;
                };
            }));
        return services;
    }

    /// <summary>
    /// When the appliance serves https as well as plain HTTP, plain HTTP answers every request with a redirect to https
    /// (308: a device's POST is sent again as a POST), except <c>/healthz</c>, which a load balancer or an operator's
    /// probe may ask on either. An appliance on plain HTTP alone serves as it always did.
    /// </summary>
    public static WebApplication UseSiteTlsRedirect(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var urls = app.Configuration["urls"] ?? "";
        if (!urls.Contains("https://", StringComparison.OrdinalIgnoreCase))
            return app;
        app.UseWhen(http => !http.Request.Path.Equals("/healthz", StringComparison.Ordinal), branch => branch.UseHttpsRedirection());
        return app;
    }

    /// <summary>
    /// The key the appliance signs what it hands devices with: the key of the certificate it serves, because that is the
    /// key a device pinned. The site certificate's server key, or the configured certificate's when that one has an
    /// ECDSA P-256 private key; with any other configured certificate (RSA), the site key, said in the log: devices that
    /// pinned the configured certificate then refuse the signatures until they are enrolled again.
    /// </summary>
    private static SiteSigningKey SigningKey(IConfiguration configuration, Func<SiteCertificates> site, ILoggerFactory logs)
    {
        var section = configuration.GetSection("Kestrel:Certificates:Default");
        if (section["Path"] is not { Length: > 0 } path)
            return site().CreateSigningKey();
        using var certificate = path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase)
            ? X509CertificateLoader.LoadPkcs12FromFile(path, section["Password"])
            : section["KeyPath"] is { Length: > 0 } keyPath ? X509Certificate2.CreateFromPemFile(path, keyPath) : X509CertificateLoader.LoadCertificateFromFile(path);
        using var key = certificate.GetECDsaPrivateKey();
        try
        {
            if (key is not null)
                return SiteSigningKey.From(key);
        }
        catch (ArgumentException)
        {
            // An EC key on another curve: devices could not verify it; signed with the site key instead, said below.
        }

        SigningWithSiteKey(logs.CreateLogger(typeof(SiteTlsRegistration)), path);
        return site().CreateSigningKey();
    }

    [LoggerMessage(EventId = 1700, Level = LogLevel.Warning,
        Message = "The configured certificate {Path} has no ECDSA P-256 private key: declaration sets and commands are signed with the site key, which devices that pinned that certificate refuse")]
    private static partial void SigningWithSiteKey(ILogger logger, string path);

    /// <summary>The machine's name, localhost, the mDNS name devices find the appliance by, and the configured ones.</summary>
    /// <summary>
    /// The certificate configured the framework's way (<c>Kestrel:Certificates:Default:Path</c>, PEM/DER, or PKCS#12 with
    /// <c>Password</c>), without its key; null when none is, and the site certificate is served.
    /// </summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The configured file is there but is not a certificate.</exception>
    public static X509Certificate2? ConfiguredCertificate(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection("Kestrel:Certificates:Default");
        if (section["Path"] is not { Length: > 0 } path)
            return null;
        return path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase)
            ? X509CertificateLoader.LoadPkcs12FromFile(path, section["Password"])
            : X509CertificateLoader.LoadCertificateFromFile(path);
    }

    private static IEnumerable<string> HostNames(SiteTlsOptions options, string mdnsHostLabel) =>
        new[] { Dns.GetHostName(), "localhost", mdnsHostLabel + ".local" }.Concat(options.HostNames).Where(host => Uri.CheckHostName(host) == UriHostNameType.Dns);

    /// <summary>Loopback and every unicast address of an interface that is up: what a device may have been given.</summary>
    private static IEnumerable<IPAddress> Addresses() =>
        new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }.Concat(NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus == OperationalStatus.Up)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .Where(address => address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && !address.IsIPv6LinkLocal)
            .Order(Comparer<IPAddress>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()))));
}
