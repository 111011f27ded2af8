using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using EdgeMdm.Edge.Options;
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

public static class SiteTlsRegistration
{
    /// <summary>
    /// The site certificates (made at first start in <c>DATA/tls</c>) and Kestrel's default HTTPS certificate from them:
    /// <c>--urls https://0.0.0.0:8443</c> needs no other setting. A certificate configured the framework's way
    /// (<c>Kestrel:Certificates:Default</c>) is used instead.
    /// </summary>
    public static IServiceCollection AddSiteTls(this IServiceCollection services)
    {
        services.AddValidatedOptions<SiteTlsOptions, SiteTlsOptionsValidator>(SiteTlsOptions.Section);
        services.AddSingleton(sp => new SiteCertificates(
            Path.Combine(Path.GetFullPath(sp.GetRequiredService<IOptions<EdgeOptions>>().Value.DataDir), "tls"),
            HostNames(sp.GetRequiredService<IOptions<SiteTlsOptions>>().Value),
            Addresses(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddHttpsRedirection(redirect => redirect.RedirectStatusCode = StatusCodes.Status308PermanentRedirect);
        services.AddOptions<KestrelServerOptions>().Configure<IServiceProvider, IConfiguration>((kestrel, sp, configuration) =>
            kestrel.ConfigureHttpsDefaults(https =>
            {
                if (configuration["Kestrel:Certificates:Default:Path"] is not null)
                    return;
                var site = sp.GetRequiredService<SiteCertificates>();
                // Asked on every handshake, so a renewal is served from the next connection on, with no restart.
                https.ServerCertificateSelector = (_, _) => site.Server;
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

    private static IEnumerable<string> HostNames(SiteTlsOptions options) =>
        new[] { Dns.GetHostName(), "localhost" }.Concat(options.HostNames).Where(host => Uri.CheckHostName(host) == UriHostNameType.Dns);

    /// <summary>Loopback and every unicast address of an interface that is up: what a device may have been given.</summary>
    private static IEnumerable<IPAddress> Addresses() =>
        new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }.Concat(NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus == OperationalStatus.Up)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .Where(address => address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 && !address.IsIPv6LinkLocal)
            .Order(Comparer<IPAddress>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()))));
}
