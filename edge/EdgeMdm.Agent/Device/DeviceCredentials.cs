using System.Text.Json;

namespace EdgeMdm.Agent;

/// <summary>
/// What a real agent keeps between runs. <see cref="DeviceSecret"/> is the device's only credential (the
/// appliance stores just its hash), hence the 0600 file. <see cref="DeclarationsToken"/> is the token of
/// the declarations the device last fetched; null until it fetched any.
/// </summary>
public sealed record DeviceCredentials(
    string Server,
    string DeviceId,
    string DeviceSecret,
    string Serial,
    string? DeclarationsToken = null)
{
    /// <summary>The package signing key the device pinned (SubjectPublicKeyInfo PEM); null until the appliance sent one.</summary>
    public string? PackageSigningKey { get; init; }

    /// <summary>
    /// The appliance's TLS key pin (<see cref="Discovery.Service.TlsPin"/>), learned when it was found by mDNS; null
    /// otherwise. A state file written before the pin was the key's holds <c>tlsCertificateSha256</c> instead, which is
    /// not read: such a device refuses the appliance's certificate until it is enrolled again by mDNS.
    /// </summary>
    public string? TlsSpkiSha256 { get; init; }

    /// <summary>The site's MQTT broker for wakes (<c>mqtts://host:port</c>) as the enrollment answer gave it; null: none.</summary>
    public string? MqttUrl { get; init; }

    /// <summary>Packages the agent installed from the appliance, so a restarted agent still runs them; null for none.</summary>
    public IReadOnlyList<Contracts.Device.InstalledApp>? InstalledPackages { get; init; }

    /// <summary>
    /// The content hash of the staging plan the device completed, so a restarted agent does not run it again; null until
    /// then. The plan itself (it holds the Wi-Fi key) is never saved: a restarted agent mid-staging fetches it again.
    /// </summary>
    public string? StagingCompletedPlanHash { get; init; }

    /// <summary>
    /// The site key (hex SHA-256 of its SubjectPublicKeyInfo) the device pinned from the first signed declaration set or
    /// command, when it had no TLS pin to check signatures against; null until then, or when <see cref="TlsSpkiSha256"/> is the anchor.
    /// </summary>
    public string? SiteKeySha256 { get; init; }

    /// <summary>The version of the signed declaration set the device verified and runs; a restarted agent refuses an older one.</summary>
    public long? DeclarationsVersion { get; init; }

    /// <summary>The SHA-256 of that set's signed bytes: the same version with other content is refused too.</summary>
    public string? DeclarationsDigest { get; init; }
}

/// <summary>Reads and writes <see cref="DeviceCredentials"/> as a JSON file.</summary>
public static class DeviceCredentialsFile
{
    /// <summary>
    /// Writes atomically: a temporary file in the same directory (created 0600 on Unix, so the secret is
    /// never readable by others, not even briefly), flushed to disk, then renamed over the old file. A crash
    /// leaves either the old file or the new one, never half of one.
    /// </summary>
    public static async Task SaveAsync(string path, DeviceCredentials credentials, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(credentials);
        var target = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{path}' is not a file path", nameof(path));
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, "." + Path.GetFileName(target) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            var stream = new FileStream(temporary, CreateNewPrivate());
            await using (stream)
            {
                await JsonSerializer.SerializeAsync(stream, credentials, AgentStateJson.Default.DeviceCredentials, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Reads the file; a missing file is <see cref="FileNotFoundException"/>, a damaged one or one without
    /// a required member is <see cref="InvalidDataException"/> saying what is wrong.
    /// </summary>
    public static async Task<DeviceCredentials> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = File.OpenRead(path);
        await using (stream)
        {
            try
            {
                var credentials = await JsonSerializer.DeserializeAsync(stream, AgentStateJson.Default.DeviceCredentials, cancellationToken)
                    ?? throw new InvalidDataException($"{path} is empty (null)");
                if (credentials.Server.Length == 0 || credentials.DeviceId.Length == 0 || credentials.DeviceSecret.Length == 0)
                    throw new InvalidDataException($"{path} has an empty server, deviceId or deviceSecret");
                return credentials;
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path} is not a device state file: {e.Message}", e);
            }
        }
    }

    private static FileStreamOptions CreateNewPrivate()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }
}
