using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Bench;

/// <summary>
/// One enrolled device and the check-ins it sends: the whole status first (as an agent does after
/// enrolling), then small deltas, the battery item on every check-in (level moves a point, charging flips
/// at the ends of the range and now and then in between) and the apps list about one check-in in twenty.
/// Not thread-safe: one worker drives a device at a time.
/// </summary>
internal sealed class BenchDevice
{
    private const string ScannerPackage = "com.edgemdm.sample.scanner";
    private readonly Random _random;
    private int _battery;
    private bool _charging;
    private int _checkins;
    private long _launcherVersion = 30;
    private string? _declarationsToken;

    public BenchDevice(string serial, string secret, Random random)
    {
        Serial = serial;
        Secret = secret;
        _random = random;
        _battery = random.Next(20, 100);
    }

    public string Serial { get; }

    public string Secret { get; }

    public static EnrollRequest EnrollRequest(string serial, string token) => new()
    {
        EnrollmentToken = token,
        Serial = serial,
        Model = "TC58",
        Manufacturer = "Zebra Technologies",
        OsVersion = "14",
        AgentVersion = "bench",
    };

    public static string SerialOf(int index) => "BENCH" + index.ToString("D5", CultureInfo.InvariantCulture);

    public CheckinRequest NextCheckin()
    {
        var first = _checkins++ == 0;
        _battery = Math.Clamp(_battery + (_charging ? 1 : -1), 5, 100);
        if (_battery <= 15)
            _charging = true;
        else if (_battery >= 100)
            _charging = false;
        else if (_random.NextDouble() < 0.02)
            _charging = !_charging;
        var battery = new BatteryStatus { Level = _battery, HealthPercent = 91, CycleCount = 412, Charging = _charging, Docked = _charging };
        if (first)
            return new CheckinRequest { DeclarationsToken = _declarationsToken, Status = FullStatus(battery) };

        if (_random.NextDouble() < 0.05)
        {
            _launcherVersion++;
            return new CheckinRequest { DeclarationsToken = _declarationsToken, Status = new DeviceStatus { Battery = battery, Apps = Apps() } };
        }

        return new CheckinRequest { DeclarationsToken = _declarationsToken, Status = new DeviceStatus { Battery = battery } };
    }

    /// <summary>The appliance answered 200: hold its declarations token from now on.</summary>
    public void Acknowledge(CheckinResponse response) => _declarationsToken = response.DeclarationsToken;

    private InstalledApp[] Apps() =>
    [
        new() { PackageName = "com.android.chrome", VersionCode = 651_412_033, VersionName = "126.0.6478.71" },
        new() { PackageName = "com.edgemdm.agent", VersionCode = 1, VersionName = "bench" },
        new() { PackageName = "com.edgemdm.sample.launcher", VersionCode = _launcherVersion, VersionName = "3." + _launcherVersion.ToString(CultureInfo.InvariantCulture) },
        new() { PackageName = ScannerPackage, VersionCode = 100, VersionName = "1.0.0" },
    ];

    private DeviceStatus FullStatus(BatteryStatus battery) => new()
    {
        Apps = Apps(),
        Os = new OsStatus { Version = "14", SecurityPatch = new DateOnly(2025, 9, 1) },
        Battery = battery,
        Storage = new StorageStatus { FreeBytes = 61_203_000_000, TotalBytes = 118_111_600_640 },
        Wifi = new WifiStatus { Ssid = "WH-FLOOR", Rssi = -58 },
        Configurations = [new AppliedConfiguration { Id = "wifi-floor", AppliedHash = new string('a', 64) }],
        Certificates = [new CertificateStatus { Name = "site-wifi", NotAfter = new DateTimeOffset(2027, 6, 30, 0, 0, 0, TimeSpan.Zero) }],
        Staging = new StagingProgress { CompletedSteps = 4, TotalSteps = 4, CurrentStep = "done" },
    };
}
