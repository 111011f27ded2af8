using System.Globalization;
using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Sync;

/// <summary>The uplink to the cloud hub, from section <c>Edge</c> (<c>--hub</c>, <c>--site-credential-file</c>, <c>--sync-*</c>).</summary>
public sealed class SyncOptions
{
    /// <summary>
    /// The cloud hub's gRPC address: https://hub.example.com:9081 (TLS, see <see cref="HubCaFile"/>) or http://hub:9081
    /// (cleartext HTTP/2). Unset: the site runs on its seed alone.
    /// </summary>
    public string? HubUrl { get; set; }

    /// <summary>
    /// With an https <see cref="HubUrl"/>: a PEM file of the private certificate authority that issued the hub's
    /// certificate (<c>--hub-ca</c>). The hub's certificate must then chain to it, and the system's roots are not
    /// consulted. Unset: the system's trust store decides.
    /// </summary>
    public string? HubCaFile { get; set; }

    /// <summary>
    /// The site credential the hub issued (<c>edgemdm sites add</c>), given in clear; with <see cref="HubUrl"/> this or
    /// <see cref="SiteCredentialFile"/> is required. On a command line it shows in <c>ps</c>: prefer the file.
    /// </summary>
    public string? SiteCredential { get; set; }

    /// <summary>
    /// A file holding the site credential (<c>--site-credential-file</c>), readable by the appliance's account alone
    /// (mode 0600: a file others may read stops the start), read once at start. Give this or <see cref="SiteCredential"/>.
    /// </summary>
    public string? SiteCredentialFile { get; set; }

    /// <summary>What <see cref="SiteCredentialFile"/> holds, trimmed; set at start (<see cref="SiteCredentialFileReader"/>), never bound.</summary>
    internal string? CredentialFromFile { get; set; }

    /// <summary>Why <see cref="SiteCredentialFile"/> could not be read; null when it was, or none was given.</summary>
    internal string? CredentialFileError { get; set; }

    /// <summary>The credential the uplink presents: <see cref="SiteCredential"/>, or what <see cref="SiteCredentialFile"/> holds.</summary>
    public string? Credential => string.IsNullOrWhiteSpace(SiteCredential) ? CredentialFromFile : SiteCredential;

    /// <summary>How long the sync worker rests between rounds when there is nothing to send.</summary>
    public int SyncIntervalSeconds { get; set; } = 5;

    /// <summary>
    /// Ceiling of the wait between failed sync attempts (exponential, jitter). It bounds how long a healed uplink
    /// stays unused: the first retry after an outage of any length comes within this time.
    /// </summary>
    public int SyncRetryMaxSeconds { get; set; } = 15;

    /// <summary>
    /// Ceiling on how fast a backlog is pushed to the hub, in changes per second; 0 lifts it. A catch-up after
    /// an outage shares the appliance with the floor's check-ins, and devices come first: at the default a day
    /// offline for a 2000-device site (100,000 changes) drains in 10 s, 300 times faster than it built up (at most: the hub and the uplink set the real pace).
    /// </summary>
    public int SyncMaxChangesPerSecond { get; set; } = 10_000;
}

internal sealed class SyncOptionsValidator : IValidateOptions<SyncOptions>
{
    public ValidateOptionsResult Validate(string? name, SyncOptions options)
    {
        var failures = new List<string>();
        if (options.HubUrl is { } hub)
        {
            if (!Uri.TryCreate(hub, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                failures.Add($"Edge:HubUrl (--hub) must be an http:// or https:// URL, not '{hub}'");
            else if (options.HubCaFile is not null && uri.Scheme is not "https")
                failures.Add($"Edge:HubCaFile (--hub-ca) needs an https:// hub URL, not '{hub}'");
            if (options.SiteCredentialFile is null && string.IsNullOrWhiteSpace(options.SiteCredential))
                failures.Add("Edge:SiteCredentialFile (--site-credential-file) or Edge:SiteCredential (--site-credential) is required when Edge:HubUrl is set");
        }

        if (options.SiteCredentialFile is { } credentialFile)
        {
            if (!string.IsNullOrWhiteSpace(options.SiteCredential))
                failures.Add("give the site credential once: Edge:SiteCredentialFile (--site-credential-file) or Edge:SiteCredential (--site-credential), not both");
            else if (OwnerOnlyFiles.Problem(credentialFile) is { } tooOpen)
                failures.Add("Edge:SiteCredentialFile (--site-credential-file): " + tooOpen);
            else if (options.CredentialFileError is { } error)
                failures.Add("Edge:SiteCredentialFile (--site-credential-file): " + error);
        }

        if (options.HubCaFile is { } caFile)
        {
            try
            {
                HubTrust.LoadAuthorities(caFile);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                failures.Add($"Edge:HubCaFile (--hub-ca): {exception.Message}");
            }
        }

        if (options.SyncIntervalSeconds is < 1 or > 3_600)
            failures.Add($"Edge:SyncIntervalSeconds (--sync-interval) must be between 1 and 3600, not {options.SyncIntervalSeconds.ToString(CultureInfo.InvariantCulture)}");
        if (options.SyncRetryMaxSeconds is < 1 or > 3_600)
            failures.Add($"Edge:SyncRetryMaxSeconds (--sync-retry-max) must be between 1 and 3600, not {options.SyncRetryMaxSeconds.ToString(CultureInfo.InvariantCulture)}");
        if (options.SyncMaxChangesPerSecond is < 0 or > 1_000_000)
            failures.Add($"Edge:SyncMaxChangesPerSecond (--sync-max-rate) must be between 0 (no limit) and 1000000, not {options.SyncMaxChangesPerSecond.ToString(CultureInfo.InvariantCulture)}");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static IServiceCollection Register(IServiceCollection services)
    {
        services.AddValidatedOptions<SyncOptions, SyncOptionsValidator>(EdgeOptions.Section);
        services.AddSingleton<IPostConfigureOptions<SyncOptions>, SiteCredentialFileReader>();
        return services;
    }
}

/// <summary>Reads <see cref="SyncOptions.SiteCredentialFile"/> once the settings are bound, before they are validated.</summary>
internal sealed class SiteCredentialFileReader : IPostConfigureOptions<SyncOptions>
{
    public void PostConfigure(string? name, SyncOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.SiteCredentialFile is { } path)
            (options.CredentialFromFile, options.CredentialFileError) = OwnerOnlyFiles.ReadSecret(path, "the credential `edgemdm sites add` printed");
    }
}
