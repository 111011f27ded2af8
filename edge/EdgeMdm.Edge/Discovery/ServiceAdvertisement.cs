using System.Reflection;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.Discovery.Service;
using EdgeMdm.Edge.Site;

namespace EdgeMdm.Edge.Discovery;

/// <summary>What the appliance advertises, from its site, its options and where Kestrel actually listens.</summary>
internal static class ServiceAdvertisement
{
    /// <summary>This build's version, as the TXT record's <c>version</c> (without the commit suffix).</summary>
    public static string Version { get; } =
        (typeof(ServiceAdvertisement).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];

    /// <summary>
    /// The service for <paramref name="site"/> on the first https listening URL, else the first http one; null when
    /// Kestrel listens nowhere a device could use. <paramref name="tlsFingerprint"/> is asked only for https.
    /// </summary>
    public static EdgeMdmService? For(SiteIdentity? site, MdnsOptions options, IEnumerable<string> listeningUrls, Func<string?> tlsFingerprint)
    {
        var urls = listeningUrls
            .Select(url => Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri : null)
            .OfType<Uri>()
            .Where(uri => uri.Scheme is "http" or "https" && uri.Port > 0)
            .ToList();
        var chosen = urls.Find(uri => string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal)) ?? urls.FirstOrDefault();
        if (chosen is null)
            return null;

        var siteId = site?.SiteId ?? ISiteIdentity.UnnamedSite;
        var instance = Truncate(options.InstanceName ?? site?.Name ?? "EdgeMdm " + siteId, DnsName.MaxLabelBytes);
        return new EdgeMdmService(
            instance,
            DnsName.FromLabels([options.AnnouncedHostName(site), "local"]),
            (ushort)chosen.Port,
            siteId,
            options.ApiBasePath,
            Version,
            string.Equals(chosen.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal) ? tlsFingerprint() : null);
    }

    /// <summary>A host label from free text: lower-case letters, digits and hyphens (RFC 952), at most 63.</summary>
    public static string HostLabel(string text)
    {
        var label = new StringBuilder();
        foreach (var c in text.ToLowerInvariant())
            label.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-');
        var trimmed = label.ToString().Trim('-');
        return trimmed.Length == 0 ? "edgemdm" : trimmed[..Math.Min(trimmed.Length, DnsName.MaxLabelBytes)].TrimEnd('-');
    }

    /// <summary>
    /// The pin (<see cref="TlsPin"/>) of the certificate Kestrel serves by default: the one configured the framework's way
    /// (<c>Kestrel:Certificates:Default:Path</c>, PEM/DER, or PKCS#12 with <c>Password</c>), else the site's own.
    /// </summary>
    /// <exception cref="CryptographicException">The configured file is there but is not a certificate.</exception>
    public static string ServedPin(IConfiguration configuration, Func<string> sitePin)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(sitePin);
        using var certificate = SiteTls.SiteTlsRegistration.ConfiguredCertificate(configuration);
        if (certificate is null)
            return sitePin();
        return TlsPin.Of(certificate);
    }

    private static string Truncate(string text, int maxBytes)
    {
        var length = text.Length;
        while (Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > maxBytes)
            length--;
        if (length > 0 && char.IsHighSurrogate(text[length - 1]))
            length--;
        return length == 0 ? "EdgeMdm" : text[..length];
    }
}
