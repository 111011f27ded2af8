namespace EdgeMdm.Edge.Options;

/// <summary>
/// The appliance's settings, section <c>Edge</c> of appsettings.json, <c>EDGEMDM_Edge__*</c> environment
/// variables, or the command line (<c>--data-dir</c>, <c>--seed</c>, <c>--checkin-interval</c>). Validated at
/// start: a bad value stops the process with one line saying which.
/// </summary>
public sealed class EdgeOptions
{
    public const string Section = "Edge";

    /// <summary>Directory holding the SQLite database and the package cache (<c>blobs/</c>). Created when missing.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>YAML file with site identity, blueprints and enrollment tokens, applied at every start.</summary>
    public string? SeedFile { get; set; }

    /// <summary>How often devices are told to check in, 1–86400 seconds.</summary>
    public int CheckinIntervalSeconds { get; set; } = 60;

    /// <summary>The cloud hub's gRPC address (e.g. http://hub:9081). Unset: the site runs on its seed alone.</summary>
    public string? HubUrl { get; set; }

    /// <summary>The site credential the hub issued (<c>edgemdm sites add</c>); required with <see cref="HubUrl"/>.</summary>
    public string? SiteCredential { get; set; }

    /// <summary>How long the sync worker rests between rounds when there is nothing to send.</summary>
    public int SyncIntervalSeconds { get; set; } = 5;

    /// <summary>
    /// Ceiling of the wait between failed sync attempts (exponential, full jitter). It bounds how long a
    /// healed uplink stays unused: the first retry after an outage of any length comes within this time.
    /// </summary>
    public int SyncRetryMaxSeconds { get; set; } = 15;

    /// <summary>
    /// Ceiling on how fast a backlog is pushed to the hub, in changes per second; 0 lifts it. A catch-up after
    /// an outage shares the appliance with the floor's check-ins, and devices come first: at the default a day
    /// offline for a 2000-device site (100,000 changes) drains in 10 s, 300 times faster than it built up (at most: the hub and the uplink set the real pace).
    /// </summary>
    public int SyncMaxChangesPerSecond { get; set; } = 10_000;

    /// <summary>
    /// Disk the package cache may use, in bytes (8 GiB by default). Over it, the least recently used blobs that no
    /// blueprint names are evicted; a blob a blueprint names is kept even over the quota (the cache reports it).
    /// </summary>
    public long PackageCacheBytes { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary>
    /// Ceiling on how fast package blobs are fetched from the hub, in bytes per second (an LTE uplink in a vehicle
    /// shared with the sync); 0 lifts it.
    /// </summary>
    public long PackageFetchBytesPerSecond { get; set; }

    /// <summary>The mDNS / DNS-SD responder that lets devices find the appliance (<c>Edge:Mdns:*</c>).</summary>
    public Discovery.MdnsOptions Mdns { get; set; } = new();

    /// <summary>MQTT: the embedded broker or an external one, for device wakes and cradle telemetry (none by default).</summary>
    public MqttOptions Mqtt { get; set; } = new();

    /// <summary>Largest request body the device API accepts; anything bigger is answered 413.</summary>
    public const int MaxRequestBodyBytes = 64 * 1024;

    /// <summary>How far a response may run ahead of its socket: a package download's copy chunks queue here.</summary>
    public const int ResponseBufferBytes = 1024 * 1024;

    /// <summary>Command-line switches and the configuration keys they set.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--data-dir"] = $"{Section}:{nameof(DataDir)}",
        ["--seed"] = $"{Section}:{nameof(SeedFile)}",
        ["--checkin-interval"] = $"{Section}:{nameof(CheckinIntervalSeconds)}",
        ["--hub"] = $"{Section}:{nameof(HubUrl)}",
        ["--site-credential"] = $"{Section}:{nameof(SiteCredential)}",
        ["--sync-interval"] = $"{Section}:{nameof(SyncIntervalSeconds)}",
        ["--sync-retry-max"] = $"{Section}:{nameof(SyncRetryMaxSeconds)}",
        ["--sync-max-rate"] = $"{Section}:{nameof(SyncMaxChangesPerSecond)}",
        ["--package-cache-bytes"] = $"{Section}:{nameof(PackageCacheBytes)}",
        ["--package-fetch-rate"] = $"{Section}:{nameof(PackageFetchBytesPerSecond)}",
        ["--mqtt-listen"] = $"{Section}:{nameof(Mqtt)}:{nameof(MqttOptions.Listen)}",
        ["--mqtt-url"] = $"{Section}:{nameof(Mqtt)}:{nameof(MqttOptions.AdvertisedUrl)}",
        ["--mqtt-external"] = $"{Section}:{nameof(Mqtt)}:{nameof(MqttOptions.External)}",
        ["--mqtt-external-user"] = $"{Section}:{nameof(Mqtt)}:{nameof(MqttOptions.ExternalUserName)}",
        ["--mqtt-external-password"] = $"{Section}:{nameof(Mqtt)}:{nameof(MqttOptions.ExternalPassword)}",
        ["--mqtt-external-password-file"] = $"{Section}:{nameof(Mqtt)}:{nameof(MqttOptions.ExternalPasswordFile)}",
        ["--mqtt-external-acl-file"] = $"{Section}:{nameof(Mqtt)}:{nameof(MqttOptions.ExternalAclFile)}",
    };

    /// <summary>Environment variables read: <c>EDGEMDM_Edge__DataDir</c> and the like.</summary>
    public const string EnvironmentPrefix = "EDGEMDM_";
}
