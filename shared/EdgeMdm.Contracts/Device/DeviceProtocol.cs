namespace EdgeMdm.Contracts.Device;

// Device protocol v1: what a device agent and the site appliance say to each other over HTTP/JSON.
// Request properties are nullable on purpose: the appliance validates them itself so that a missing field
// is reported by name (RFC 9457 problem details) instead of as a generic deserialization failure.

/// <summary>POST /api/v1/enroll.</summary>
public sealed record EnrollRequest
{
    public string? EnrollmentToken { get; init; }
    public string? Serial { get; init; }
    public string? Model { get; init; }
    public string? Manufacturer { get; init; }
    public string? OsVersion { get; init; }
    public string? AgentVersion { get; init; }

    /// <summary>
    /// Set when the device enrolls from a staging QR code: the code's signed fields (batch, site, slot, URLs, pin,
    /// signature). The appliance refuses a code made for another site or one whose signature does not verify over
    /// these fields and <see cref="EnrollmentToken"/>, and records the device as a member of the batch.
    /// </summary>
    public EnrollmentCodeProof? Code { get; init; }
}

/// <summary>201 answer to an enrollment. The secret is shown once; the appliance keeps only its hash.</summary>
public sealed record EnrollResponse(
    string DeviceId,
    string DeviceSecret,
    int CheckinIntervalSeconds,
    string SiteId,
    string Group,
    bool Reenrolled)
{
    /// <summary>
    /// The hub's package signing key (SubjectPublicKeyInfo PEM) when the site has it; the agent pins the first
    /// key it learns and refuses any package whose manifest another key signed.
    /// </summary>
    public string? PackageSigningKey { get; init; }

    /// <summary>
    /// The site's MQTT broker (<c>mqtt://host:port</c>) when it has one: the agent logs in with its device id and secret,
    /// subscribes to <c>edgemdm/devices/{deviceId}/wake</c> and checks in at once on a wake. Null: check in on the interval.
    /// </summary>
    public string? MqttUrl { get; init; }
}

/// <summary>
/// POST /api/v1/checkin. <see cref="Status"/> carries only the items that changed since the last
/// acknowledged check-in; an item left out (null) means "unchanged".
/// </summary>
public sealed record CheckinRequest
{
    public string? DeclarationsToken { get; init; }
    public DeviceStatus? Status { get; init; }
}

public sealed record CheckinResponse(
    string DeclarationsToken,
    IReadOnlyList<DeviceCommand> Commands,
    int CheckinIntervalSeconds);

/// <summary>
/// Reported status ("floor truth"). Every item is optional: null means "not part of this report". When
/// present, a list item (apps, configurations, certificates) is the whole list, not a diff.
/// </summary>
public sealed record DeviceStatus
{
    public IReadOnlyList<InstalledApp>? Apps { get; init; }
    public OsStatus? Os { get; init; }
    public BatteryStatus? Battery { get; init; }
    public StorageStatus? Storage { get; init; }
    public WifiStatus? Wifi { get; init; }
    public IReadOnlyList<AppliedConfiguration>? Configurations { get; init; }
    public IReadOnlyList<CertificateStatus>? Certificates { get; init; }
    public StagingProgress? Staging { get; init; }

    /// <summary>The last failed install per package, while it is not installed at the declared version.</summary>
    public IReadOnlyList<InstallFailure>? InstallFailures { get; init; }

    /// <summary>
    /// The signed declaration set the device holds (its version) and the last set it refused, if it refused the newest
    /// one it was handed (a bad or missing signature, another device's set, an older version): the site sees why a device
    /// keeps running older declarations.
    /// </summary>
    public DeclarationsVerification? DeclarationsVerification { get; init; }
}

/// <summary>What the device made of the signed declaration sets it was handed.</summary>
public sealed record DeclarationsVerification
{
    /// <summary>The version of the set the device verified and runs; null before it held any.</summary>
    public long? HeldVersion { get; init; }

    /// <summary>
    /// Null when the newest set the device fetched was accepted; else why it was refused: unsigned | wrong_key |
    /// bad_signature | other_device | rollback | version_reused.
    /// </summary>
    public string? Refusal { get; init; }

    /// <summary>The version the refused set claimed (null when it claimed none).</summary>
    public long? RefusedVersion { get; init; }

    /// <summary>The refusal in the device's words; null when nothing was refused.</summary>
    public string? Message { get; init; }

    public DateTimeOffset? At { get; init; }
}

/// <summary>Why the device could not install a declared package version.</summary>
public sealed record InstallFailure
{
    public string? PackageName { get; init; }
    public long? VersionCode { get; init; }

    /// <summary>storage_full | download_failed | signature_bad | incompatible | other.</summary>
    public string? Reason { get; init; }

    public string? Message { get; init; }
    public DateTimeOffset? At { get; init; }
}

public sealed record InstalledApp
{
    public string? PackageName { get; init; }
    public long? VersionCode { get; init; }
    public string? VersionName { get; init; }
}

public sealed record OsStatus
{
    public string? Version { get; init; }

    /// <summary>Android security patch level, ISO date (yyyy-MM-dd).</summary>
    public DateOnly? SecurityPatch { get; init; }
}

public sealed record BatteryStatus
{
    /// <summary>Charge level, 0–100 %.</summary>
    public int? Level { get; init; }

    /// <summary>Health (remaining design capacity), 0–100 %.</summary>
    public int? HealthPercent { get; init; }

    public int? CycleCount { get; init; }
    public bool? Charging { get; init; }
    public bool? Docked { get; init; }

    /// <summary>The battery pack's own serial (rugged devices have swappable packs); null when the device cannot read it.</summary>
    public string? Serial { get; init; }

    /// <summary>What the device's charger estimates is left to full, in minutes, while charging (Android's <c>computeChargeTimeRemaining</c>).</summary>
    public int? TimeToFullMinutes { get; init; }

    /// <summary>The cradle and slot the device sits in, when the cradle tells it (intelligent cradles do); null otherwise.</summary>
    public DockLocation? DockedAt { get; init; }
}

/// <summary>A cradle slot as the device reads it from the cradle it sits in.</summary>
public sealed record DockLocation
{
    public string? CradleId { get; init; }

    /// <summary>1-based slot number.</summary>
    public int? Slot { get; init; }
}

public sealed record StorageStatus
{
    public long? FreeBytes { get; init; }
    public long? TotalBytes { get; init; }
}

public sealed record WifiStatus
{
    public string? Ssid { get; init; }
    public int? Rssi { get; init; }

    /// <summary>The access point the device is associated with (its BSSID, aa:bb:cc:dd:ee:ff): where on the floor it was last heard.</summary>
    public string? Bssid { get; init; }
}

/// <summary>The hash of a configuration payload as the device applied it.</summary>
public sealed record AppliedConfiguration
{
    public string? Id { get; init; }
    public string? AppliedHash { get; init; }
}

public sealed record CertificateStatus
{
    public string? Name { get; init; }
    public DateTimeOffset? NotAfter { get; init; }
}

/// <summary>
/// Where the device is in its staging. A device whose group has a staging plan reports <see cref="Plan"/>,
/// <see cref="PlanHash"/> and a report per step it has state for (<see cref="Steps"/>); the appliance makes it Active
/// when every step of the plan succeeded and drift is zero. <see cref="CompletedSteps"/>/<see cref="TotalSteps"/> are
/// the older form, still honoured for a device whose group has no plan.
/// </summary>
public sealed record StagingProgress
{
    public int? CompletedSteps { get; init; }
    public int? TotalSteps { get; init; }
    public string? CurrentStep { get; init; }

    /// <summary>The name of the plan the device runs.</summary>
    public string? Plan { get; init; }

    /// <summary>The content hash of the plan as the device received it.</summary>
    public string? PlanHash { get; init; }

    public IReadOnlyList<StagingStepReport>? Steps { get; init; }
}

/// <summary>One step of the plan as the device last saw it.</summary>
public sealed record StagingStepReport
{
    public string? StepId { get; init; }

    /// <summary>pending | running | succeeded | failed (<see cref="StagingStepStates"/>).</summary>
    public string? State { get; init; }

    /// <summary>Tries so far, the current one included.</summary>
    public int? Attempts { get; init; }

    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Why the step failed (its last try), in the device's words; null unless failed.</summary>
    public string? Error { get; init; }
}

public static class StagingStepStates
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    public static IReadOnlyList<string> All { get; } = [Pending, Running, Succeeded, Failed];
}

/// <summary>
/// A command the device must carry out and report on (POST /api/v1/commands/{id}/result). The site signs every command
/// it hands out (<see cref="Signature"/> over the id, <see cref="DeviceId"/>, type, parameters, expiry, <see cref="IssuedBy"/>
/// and <see cref="Origin"/>, by the key of <see cref="SignerKey"/>); the agent carries out only a command whose signature
/// verifies against the key it trusts and that names itself, and reports any other as failed.
/// </summary>
public sealed record DeviceCommand(
    string Id,
    string Type,
    IReadOnlyDictionary<string, string> Parameters,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>The device the command is for.</summary>
    public string? DeviceId { get; init; }

    /// <summary>Who asked for it: <c>hub:ACCOUNT</c> for central IT at the hub, <c>site:NAME</c> for a person or tool at the site.</summary>
    public string? IssuedBy { get; init; }

    /// <summary>Where it was made: <c>hub</c> or <c>site</c>.</summary>
    public string? Origin { get; init; }

    /// <summary>The signing key's SubjectPublicKeyInfo DER, base64: the site's TLS server key.</summary>
    public string? SignerKey { get; init; }

    /// <summary>Base64 of the 64-byte IEEE P1363 ECDSA P-256 / SHA-256 signature over the command's canonical bytes.</summary>
    public string? Signature { get; init; }
}

/// <summary>POST /api/v1/commands/{id}/result.</summary>
public sealed record CommandResultRequest
{
    /// <summary>"succeeded" or "failed".</summary>
    public string? Status { get; init; }

    public string? Message { get; init; }
    public DateTimeOffset? Timestamp { get; init; }
}

/// <summary>GET /api/v1/declarations: the whole desired state of one device.</summary>
public sealed record DeclarationsDocument(
    string Token,
    string Group,
    IReadOnlyList<AppDeclaration> Apps,
    OsDeclaration? Os,
    IReadOnlyList<ConfigurationDeclaration> Configurations,
    IReadOnlyList<CertificateDeclaration> Certificates,
    int? BatteryHealthFloorPercent)
{
    /// <summary>The hub's package signing key (SubjectPublicKeyInfo PEM) when the site has it (see EnrollResponse).</summary>
    public string? PackageSigningKey { get; init; }

    /// <summary>The device this set is for: a set signed for one device is refused by every other.</summary>
    public string? DeviceId { get; init; }

    /// <summary>
    /// The set's version for this device, from 1, raised by the site every time the device's declarations (their token)
    /// change: the agent refuses a set older than the one it holds, and the same version with other content.
    /// </summary>
    public long? Version { get; init; }

    /// <summary>The signing key's SubjectPublicKeyInfo DER, base64: the site's TLS server key, whose SHA-256 is the device's pin.</summary>
    public string? SignerKey { get; init; }

    /// <summary>Base64 of the 64-byte IEEE P1363 ECDSA P-256 / SHA-256 signature over the whole set's canonical bytes.</summary>
    public string? Signature { get; init; }
}

/// <summary>
/// An app at the version the device must run. <see cref="Package"/> is set when the site serves that version
/// from its cache; without it the device installs it by other means (a managed store).
/// </summary>
public sealed record AppDeclaration(string PackageName, long VersionCode, string VersionName)
{
    public AppPackage? Package { get; init; }
}

/// <summary>
/// Where and what to download: the appliance's <see cref="DownloadPath"/> (device credential required), and
/// the manifest the hub signed. With the declaration's package name, version code and name, these fields
/// are the whole <c>PackageManifest</c>: the agent verifies <see cref="Signature"/> over it and the blob's
/// SHA-256 and size before installing.
/// </summary>
public sealed record AppPackage(
    string Sha256,
    long SizeBytes,
    string? MinOsVersion,
    DateTimeOffset PublishedAt,
    string Signature,
    string DownloadPath);

public sealed record OsDeclaration(string? MinVersion, DateOnly? MinSecurityPatch);

/// <summary>A configuration payload (opaque JSON object) and the hash a device must report once applied.</summary>
public sealed record ConfigurationDeclaration(
    string Id,
    IReadOnlyDictionary<string, string> Payload,
    string Hash);

/// <summary>A certificate the device must hold, valid for at least <see cref="MinDaysValid"/> more days.</summary>
public sealed record CertificateDeclaration(string Name, int MinDaysValid);
