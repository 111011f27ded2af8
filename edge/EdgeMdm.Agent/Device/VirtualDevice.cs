using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Agent;

/// <summary>
/// A simulated rugged Android device (handheld scanner or vehicle mount) that behaves like one on a
/// warehouse floor: the battery drains on the floor and charges in the cradle, the Wi-Fi signal wanders,
/// storage fills up, apps install (and sometimes fail to), commands are carried out.
/// </summary>
/// <remarks>
/// Deterministic: the same serial, seed, clock readings and call sequence give the same device. Time moves
/// only through the injected <see cref="TimeProvider"/>. Physical state (battery, dock, Wi-Fi, storage
/// drift) advances in fixed one-minute steps drawn from its own random stream, so it depends on elapsed
/// time alone, not on how often the device is looked at. Not thread-safe: one agent loop drives one device.
/// </remarks>
public sealed partial class VirtualDevice
{
    private static readonly DeviceStatus NothingAcknowledged = new();

    private readonly TimeProvider _time;
    private readonly DeviceProfile _profile;

    // Separate random streams so that, e.g., an extra command does not change the battery curve.
    private readonly Random _physics;
    private readonly Random _behaviour;
    private readonly Random _coverage;

    // Delta bookkeeping. _acknowledged is what the appliance holds (the full status as of the last
    // acknowledged check-in); _built is what the last BuildStatusDelta saw, waiting for its acknowledgement.
    // A full report is owed while _fullRequested > _fullAcknowledged (enrollment counts as request 1).
    private DeviceStatus _acknowledged = NothingAcknowledged;
    private DeviceStatus? _built;
    private long _builtFullRequest;
    private long _fullRequested = 1;
    private long _fullAcknowledged;

    private int _offlineSlotsLeft;

    // Draws the shift rhythm and the roaming from: its own seed, so neither changes the battery curve.
    private readonly int _shiftSeed;
    private readonly SiteFloor? _floor;

    /// <param name="serial">The device's serial.</param>
    /// <param name="seed">Seeds everything the device draws.</param>
    /// <param name="timeProvider">The device's clock.</param>
    /// <param name="floor">The simulated floor's cradles and shifts; null: plain chargers and the default docking rhythm.</param>
    public VirtualDevice(string serial, int seed, TimeProvider timeProvider, SiteFloor? floor = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serial);
        ArgumentNullException.ThrowIfNull(timeProvider);
        Serial = serial;
        _time = timeProvider;
        var random = new Random(seed);
        _profile = DeviceProfile.Generate(random);
        _physics = new Random(random.Next());
        _behaviour = new Random(random.Next());
        _coverage = new Random(random.Next());
        _simulatedUntil = timeProvider.GetUtcNow();
        _floor = floor;
        _shiftSeed = Seeds.Mix(seed, 0x5F);
        _accessPoint = (int)((uint)_shiftSeed % (uint)AccessPoints.Length);
        InitializePhysics(random);
        InstallPreloadedApps();
        Commands = new VirtualCommands(CarryOut);
        StagingRun = new VirtualStaging(StartStaging, () => NextStagingChangeIn, () => CompletedStagingPlanHash, () => StagingSteps);
    }

    /// <summary>The device a serial always is: the seed is a stable hash of the serial.</summary>
    public static VirtualDevice ForSerial(string serial, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(serial);
        return new VirtualDevice(serial, Seeds.Of(serial), timeProvider);
    }

    public string Serial { get; }
    public string Manufacturer => _profile.Manufacturer;
    public string Model => _profile.Model;
    /// <summary>The OS the device runs: its profile's, unless <see cref="OsVersionOverride"/> says otherwise.</summary>
    public string OsVersion => OsVersionOverride ?? _profile.OsVersion;

    /// <summary>An OS version to run instead of the profile's (the simulator's devices left on an old OS).</summary>
    public string? OsVersionOverride { get; init; }

    /// <summary>
    /// Whether the device now and then walks out of Wi-Fi coverage (see <see cref="BeginCheckinSlot"/>).
    /// On for fleet simulation; off for a single agent someone is watching.
    /// </summary>
    public bool SimulateOutages { get; init; } = true;

    public EnrollRequest CreateEnrollRequest(string enrollmentToken) => new()
    {
        EnrollmentToken = enrollmentToken,
        Serial = Serial,
        Model = Model,
        Manufacturer = Manufacturer,
        OsVersion = OsVersion,
        AgentVersion = AgentInfo.Version,
    };

    /// <summary>
    /// Called once per check-in slot: false when the device is out of Wi-Fi coverage and simply does not
    /// check in this time. About 1.5 % of slots: an outage starts in 0.5 % of them and lasts 2–4 slots.
    /// </summary>
    public bool BeginCheckinSlot()
    {
        if (!SimulateOutages)
            return true;
        if (_offlineSlotsLeft > 0)
        {
            _offlineSlotsLeft--;
            return false;
        }

        if (_coverage.NextDouble() < 0.005)
        {
            _offlineSlotsLeft = _coverage.Next(1, 4);
            return false;
        }

        return true;
    }

    /// <summary>
    /// The status items that differ from what the appliance last acknowledged: everything on the first
    /// check-in after enrollment and after a <c>refresh-status</c> command, nothing (all null) when nothing
    /// changed. Until <see cref="Acknowledge"/> is called, every call reports against the same baseline, so
    /// a check-in that failed loses nothing: its changes are in the next delta too.
    /// </summary>
    public DeviceStatus BuildStatusDelta()
    {
        Advance();
        var current = Snapshot();
        var baseline = _fullRequested > _fullAcknowledged ? NothingAcknowledged : _acknowledged;
        _built = current;
        _builtFullRequest = _fullRequested;
        return new DeviceStatus
        {
            Apps = ListIfChanged(current.Apps, baseline.Apps),
            Os = ItemIfChanged(current.Os, baseline.Os),
            Battery = ItemIfChanged(current.Battery, baseline.Battery),
            Storage = ItemIfChanged(current.Storage, baseline.Storage),
            Wifi = ItemIfChanged(current.Wifi, baseline.Wifi),
            Configurations = ListIfChanged(current.Configurations, baseline.Configurations),
            Certificates = ListIfChanged(current.Certificates, baseline.Certificates),
            Staging = ItemIfChanged(current.Staging, baseline.Staging),
            InstallFailures = ListIfChanged(current.InstallFailures, baseline.InstallFailures),
            DeclarationsVerification = ItemIfChanged(current.DeclarationsVerification, baseline.DeclarationsVerification),
        };
    }

    /// <summary>The appliance accepted the check-in (200) that carried the last built delta.</summary>
    public void Acknowledge()
    {
        if (_built is null)
            return;
        _acknowledged = _built;
        _fullAcknowledged = Math.Max(_fullAcknowledged, _builtFullRequest);
        _built = null;
    }

    /// <summary>The next delta carries every item, whatever was acknowledged before.</summary>
    internal void RequestFullStatus() => _fullRequested++;

    /// <summary>The whole status as of now, as the device would report it if asked for everything.</summary>
    internal DeviceStatus CurrentStatus()
    {
        Advance();
        return Snapshot();
    }

    private DeviceStatus Snapshot() => new()
    {
        Apps = _apps.Select(a => new InstalledApp { PackageName = a.Key, VersionCode = a.Value.VersionCode, VersionName = a.Value.VersionName }).ToArray(),
        Os = new OsStatus { Version = OsVersion, SecurityPatch = _profile.SecurityPatch },
        Battery = BatterySnapshot(),
        Storage = new StorageStatus { FreeBytes = _freeBytes, TotalBytes = _profile.TotalBytes },
        Wifi = WifiSnapshot(),
        Configurations = _configurations.Select(c => new AppliedConfiguration { Id = c.Key, AppliedHash = c.Value }).ToArray(),
        Certificates = _certificates.Select(c => new CertificateStatus { Name = c.Key, NotAfter = c.Value }).ToArray(),
        Staging = StagingSnapshot(),
        InstallFailures = CurrentInstallFailures(),
        DeclarationsVerification = _verification,
    };

    // Records compare their members by value, but a list member by reference: lists are compared item by
    // item here, in order (the device keeps them sorted, so equal contents mean equal order).
    private static T? ItemIfChanged<T>(T? current, T? baseline)
        where T : class =>
        current is not null && !EqualityComparer<T>.Default.Equals(current, baseline) ? current : null;

    private static IReadOnlyList<T>? ListIfChanged<T>(IReadOnlyList<T>? current, IReadOnlyList<T>? baseline) =>
        current is not null && (baseline is null || !current.SequenceEqual(baseline)) ? current : null;
}
