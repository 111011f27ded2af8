namespace EdgeMdm.Agent;

/// <summary>What <see cref="FleetSimulator"/> runs.</summary>
public sealed record SimulationOptions
{
    /// <summary>The appliance, e.g. <c>http://127.0.0.1:8080/</c>.</summary>
    public required Uri Server { get; init; }

    public required string EnrollmentToken { get; init; }

    /// <summary>
    /// The appliance's key pin (<see cref="Discovery.Service.TlsPin"/>) the devices hold: the https appliance and an
    /// <c>mqtts://</c> wake broker must present a certificate for that key. Null: the system's usual validation.
    /// </summary>
    public string? TlsPin { get; init; }

    /// <summary>
    /// A staging batch's codes (<c>simulate --staging-batch</c>): device N enrolls from the code of slot N, its token and
    /// signed fields, as a device scanning the sheet does. Null: every device enrolls with <see cref="EnrollmentToken"/> alone.
    /// </summary>
    public IReadOnlyList<Contracts.Device.EnrollmentCode>? StagingCodes { get; init; }

    public int Devices { get; init; } = 1;

    /// <summary>How long devices keep checking in, from the start of the run.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Serials are this prefix and the 1-based device index, zero-padded: SIM00001, SIM00002...
    /// A rerun with the same prefix re-enrolls the same devices.</summary>
    public string SerialPrefix { get; init; } = "SIM";

    /// <summary>Seeds every device (profile, behaviour, start jitter): the same seed, the same fleet.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Check in this often instead of what the appliance says; null to obey the appliance.</summary>
    public TimeSpan? IntervalOverride { get; init; }

    /// <summary>
    /// At most this many devices talk to the appliance at once, and at most this many connections are
    /// open to it.
    /// </summary>
    public int MaxConcurrency { get; init; } = 64;

    /// <summary>How long one request may take before it counts as a timeout error.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The devices' clock (battery, installs, command timestamps, waiting between check-ins).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Share of devices (0–1) whose storage is full at start; they get space back after <see cref="StorageFreedAfter"/>.</summary>
    public double StorageFullFraction { get; init; }

    /// <summary>How long a storage-full device stays full; null: for the whole run.</summary>
    public TimeSpan? StorageFreedAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Share of devices (0–1) left on <see cref="OldOsVersion"/>, below any recent package minimum.</summary>
    public double OldOsFraction { get; init; }

    /// <summary>The OS those devices run.</summary>
    public string OldOsVersion { get; init; } = "10";

    /// <summary>Share of devices (0–1) that enroll and then stay out of coverage for <see cref="OfflineFor"/>.</summary>
    public double OfflineFraction { get; init; }

    /// <summary>How long those devices stay silent after enrolling; null: for the whole run.</summary>
    public TimeSpan? OfflineFor { get; init; }

    /// <summary>The app every device comes with (<see cref="SampleApp.Default"/> matches the demo seed); null for none.</summary>
    public SampleApp? SampleApp { get; init; } = Agent.SampleApp.Default;

    /// <summary>
    /// Where devices put package files: a <c>parts/SERIAL</c> directory per device for downloads in progress
    /// and one shared directory of verified files. Null: a temporary directory, deleted after the run.
    /// </summary>
    public string? PackageDirectory { get; init; }

    /// <summary>
    /// The wake broker every device listens on: an mqtts:// or mqtt:// URL, <c>none</c> for no wakes, null for what the enrollment
    /// answer gives (each device then keeps its own MQTT connection and checks in at once when woken).
    /// </summary>
    public string? Mqtt { get; init; }

    /// <summary>Share of devices (0–1) whose staging Wi-Fi step fails on every try until an operator retries it.</summary>
    public double WifiFailFraction { get; init; }

    /// <summary>Share of devices (0–1) whose staging pairPeripheral step finds no peripheral until an operator retries it.</summary>
    public double PeripheralMissingFraction { get; init; }

    /// <summary>Staging step durations and retry pauses are multiplied by this: 1 is realistic, 0.01 a fast demo or test.</summary>
    public double StagingTimeScale { get; init; } = 1.0;

    /// <summary>When failed package installs are tried again.</summary>
    public Domain.Rollouts.RetryPolicy RetryPolicy { get; init; } = Domain.Rollouts.RetryPolicy.Default;

    /// <summary>The first thing wrong with these options, or null.</summary>
    internal string? Problem() =>
        Server is null || !Server.IsAbsoluteUri ? "Server must be an absolute URL"
        : string.IsNullOrEmpty(EnrollmentToken) ? "EnrollmentToken is required"
        : Devices < 1 ? "Devices must be at least 1"
        : StagingCodes is { } codes && codes.Count < Devices ? $"the staging batch has {codes.Count} codes, fewer than {Devices} devices"
        : Duration <= TimeSpan.Zero ? "Duration must be positive"
        : MaxConcurrency < 1 ? "MaxConcurrency must be at least 1"
        : RequestTimeout <= TimeSpan.Zero ? "RequestTimeout must be positive"
        : IntervalOverride <= TimeSpan.Zero ? "IntervalOverride must be positive"
        : SerialPrefix is null ? "SerialPrefix must not be null"
        : StorageFullFraction is < 0 or > 1 ? "StorageFullFraction must be between 0 and 1"
        : OldOsFraction is < 0 or > 1 ? "OldOsFraction must be between 0 and 1"
        : OfflineFraction is < 0 or > 1 ? "OfflineFraction must be between 0 and 1"
        : WifiFailFraction is < 0 or > 1 ? "WifiFailFraction must be between 0 and 1"
        : PeripheralMissingFraction is < 0 or > 1 ? "PeripheralMissingFraction must be between 0 and 1"
        : !(StagingTimeScale > 0 && StagingTimeScale <= 100) ? "StagingTimeScale must be above 0 and at most 100"
        : StorageFreedAfter <= TimeSpan.Zero ? "StorageFreedAfter must be positive"
        : OfflineFor <= TimeSpan.Zero ? "OfflineFor must be positive"
        : string.IsNullOrWhiteSpace(OldOsVersion) ? "OldOsVersion is required"
        : RetryPolicy is null || RetryPolicy.Validate().Count > 0 ? "RetryPolicy is invalid"
        : TimeProvider is null ? "TimeProvider must not be null"
        : null;
}
