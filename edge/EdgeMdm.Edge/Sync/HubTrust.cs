using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;

namespace EdgeMdm.Edge.Sync;

/// <summary>
/// Which hub certificate the appliance accepts on an https hub URL: one the system trusts, or, with
/// <see cref="SyncOptions.HubCaFile"/> (<c>--hub-ca</c>), one that chains to that private authority and to nothing else
/// (the system's roots do not count then), in both cases for the host name of the URL. A refusal is kept, in words an
/// operator can act on, for the uplink's state and the log.
/// </summary>
public sealed class HubTrust
{
    private readonly Lazy<X509Certificate2Collection?> _authorities;
    private readonly string? _authorityFile;
    private string? _lastRefusal;

    /// <param name="authorityFile">
    /// PEM file of the hub's certificate authority (one or more certificates); null for the system's trust. Read at the
    /// first handshake: the options validator has checked it by then, and reports a bad file as a setting.
    /// </param>
    public HubTrust(string? authorityFile)
    {
        _authorityFile = authorityFile;
        _authorities = new(() => authorityFile is null ? null : LoadAuthorities(authorityFile));
    }

    /// <summary>Why the hub's certificate was last refused; null before any refusal.</summary>
    public string? LastRefusal => Volatile.Read(ref _lastRefusal);

    /// <summary>
    /// The certificates of <paramref name="path"/>; throws <see cref="InvalidDataException"/> (or an I/O exception) saying
    /// what is wrong with the file.
    /// </summary>
    public static X509Certificate2Collection LoadAuthorities(string path)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(path);
        }
        catch (System.Security.Cryptography.CryptographicException exception)
        {
            throw new InvalidDataException($"{path} is not a PEM certificate file: {exception.Message}", exception);
        }

        return authorities.Count > 0 ? authorities : throw new InvalidDataException($"{path} holds no PEM certificate");
    }

    /// <summary>For <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/>.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var refusal = RefusalOf(certificate, chain, errors);
        if (refusal is not null)
            Volatile.Write(ref _lastRefusal, refusal);
        return refusal is null;
    }

    /// <summary>
    /// What an uplink failure says to an operator: for a refused TLS handshake, why the hub's certificate was refused;
    /// otherwise the failure's own message.
    /// </summary>
    public string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (Exception? cause = exception; cause is not null; cause = cause is RpcException { Status.DebugException: { } debug } ? debug : cause.InnerException)
        {
            if (cause is AuthenticationException authentication)
                return "TLS with the hub failed: " + (LastRefusal ?? authentication.Message);
        }

        return exception.Message;
    }

    private string? RefusalOf(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return "the hub sent no certificate";
        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return $"the hub's certificate ({presented.Subject}) does not name the host of the hub URL";
        if (_authorities.Value is not { } authorities)
        {
            return errors == SslPolicyErrors.None
                ? null
                : $"the hub's certificate ({presented.Subject}, issued by {presented.Issuer}) is not trusted by this system: {Statuses(chain)}; for a private CA give its certificate with --hub-ca (Edge:HubCaFile)";
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(authorities);
        // A private CA publishes no revocation lists a site could reach with the uplink half up.
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // The intermediates the hub sent, so a chain through them can be built; trust still comes only from the file.
            foreach (var element in chain.ChainElements.Skip(1))
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        return custom.Build(presented)
            ? null
            : $"the hub's certificate ({presented.Subject}, issued by {presented.Issuer}) does not chain to the CA in {_authorityFile}: {Statuses(custom)}";
    }

    private static string Statuses(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0
            ? "no chain"
            : string.Join("; ", chain.ChainStatus.Select(status => status.StatusInformation.Trim()).Where(text => text.Length > 0).Distinct(StringComparer.Ordinal));
}
