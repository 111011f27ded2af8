namespace EdgeMdm.Edge.Options;

/// <summary>
/// The settings every part of the appliance shares, section <c>Edge</c> of appsettings.json, <c>EDGEMDM_Edge__*</c>
/// environment variables, or the command line (<c>--data-dir</c>, <c>--seed</c>, <c>--checkin-interval</c>). Each
/// feature binds its own settings from the same section (sync, packages) or a part of it (<c>Edge:Mqtt</c>,
/// <c>Edge:Mdns</c>). Validated at start: a bad value stops the process with one line saying which.
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

    /// <summary>
    /// How often the last-seen times of check-ins that changed nothing else are written, 1–3600 seconds (300 by
    /// default): they are kept in memory meanwhile (<c>Devices/UnsavedSightings</c>) and written when the appliance
    /// stops. A power cut loses at most this much of them; every change a device was answered for is on disk already.
    /// </summary>
    public int LastSeenWriteSeconds { get; set; } = 300;

    /// <summary>
    /// Free space the data directory's file system must keep for the appliance to report itself ready (64 MiB by
    /// default): below it <c>/readyz</c> says so, before writes start failing.
    /// </summary>
    public long StorageFloorBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest request body the device API accepts; anything bigger is answered 413.</summary>
    public const int MaxRequestBodyBytes = 64 * 1024;

    /// <summary>How far a response may run ahead of its socket: a package download's copy chunks queue here.</summary>
    public const int ResponseBufferBytes = 1024 * 1024;

    /// <summary>Environment variables read: <c>EDGEMDM_Edge__DataDir</c> and the like.</summary>
    public const string EnvironmentPrefix = "EDGEMDM_";
}
