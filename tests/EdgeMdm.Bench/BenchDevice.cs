using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Bench;

/// <summary>
/// One enrolled device and the check-ins it sends: the whole status first (as an agent does after
/// enrolling), then small deltas, the battery item on every check-in (level moves a point, charging flips
/// at the ends of the range and now and then in between) and the apps list about one check-in in twenty.
/// Not thread-safe: one worker drives a device at a time.
/// A device of a <see cref="BenchFloor.Mixed"/> floor reports as a real site's do: a few versions of each app (some
/// behind the blueprint's), a few on an old security patch, some worn batteries; its launcher does not move.
/// </summary>
internal sealed class BenchDevice
{
    private const string ScannerPackage = "com.edgemdm.sample.scanner";
    private readonly Random _random;
    private readonly BenchFloor _floor;
    private readonly long _scannerVersion = 100;
    private readonly long _chromeVersion = 651_412_033;
    private readonly DateOnly _securityPatch = new(2025, 9, 1);
    private readonly int _batteryHealth = 91;
    private int _battery;
    private bool _charging;
    private int _checkins;
    private long _launcherVersion = 30;
    private string? _declarationsToken;

    public BenchDevice(string serial, string secret, Random random, BenchFloor floor = BenchFloor.Uniform)
    {
        Serial = serial;
        Secret = secret;
        _random = random;
        _floor = floor;
        _battery = random.Next(20, 100);
        if (floor != BenchFloor.Mixed)
            return;
        // 90 % on the required scanner version, 8 % one behind, 2 % two behind; three launcher builds; two Chrome builds.
        var draw = random.NextDouble();
        _scannerVersion = draw < 0.90 ? 100 : draw < 0.98 ? 99 : 98;
        _launcherVersion = 28 + random.Next(3);
        _chromeVersion = random.NextDouble() < 0.7 ? 651_412_033 : 640_000_017;
        _securityPatch = random.NextDouble() < 0.05 ? new DateOnly(2025, 3, 1) : _securityPatch;
        _batteryHealth = random.NextDouble() < 0.06 ? random.Next(60, 75) : random.Next(76, 100);
        _battery = random.Next(3, 100);
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
        var battery = new BatteryStatus { Level = _battery, HealthPercent = _batteryHealth, CycleCount = 412, Charging = _charging, Docked = _charging };
        if (first)
            return new CheckinRequest { DeclarationsToken = _declarationsToken, Status = FullStatus(battery) };

        if (_random.NextDouble() < 0.05)
        {
            if (_floor == BenchFloor.Uniform)
                _launcherVersion++;
            return new CheckinRequest { DeclarationsToken = _declarationsToken, Status = new DeviceStatus { Battery = battery, Apps = Apps() } };
        }

        return new CheckinRequest { DeclarationsToken = _declarationsToken, Status = new DeviceStatus { Battery = battery } };
    }

    /// <summary>The appliance answered 200: hold its declarations token from now on.</summary>
    public void Acknowledge(CheckinResponse response) => _declarationsToken = response.DeclarationsToken;

    private InstalledApp[] Apps() =>
    [
        new() { PackageName = "com.android.chrome", VersionCode = _chromeVersion, VersionName = _chromeVersion == 651_412_033 ? "126.0.6478.71" : "125.0.6422.165" },
        new() { PackageName = "com.edgemdm.agent", VersionCode = 1, VersionName = "bench" },
        new() { PackageName = "com.edgemdm.sample.launcher", VersionCode = _launcherVersion, VersionName = "3." + _launcherVersion.ToString(CultureInfo.InvariantCulture) },
        new() { PackageName = ScannerPackage, VersionCode = _scannerVersion, VersionName = _scannerVersion == 100 ? "1.0.0" : "0.9." + (_scannerVersion - 90).ToString(CultureInfo.InvariantCulture) },
    ];

    private DeviceStatus FullStatus(BatteryStatus battery) => new()
    {
        Apps = Apps(),
        Os = new OsStatus { Version = "14", SecurityPatch = _securityPatch },
        Battery = battery,
        Storage = new StorageStatus { FreeBytes = 61_203_000_000, TotalBytes = 118_111_600_640 },
        Wifi = new WifiStatus { Ssid = "WH-FLOOR", Rssi = -58 },
        Configurations = [new AppliedConfiguration { Id = "wifi-floor", AppliedHash = new string('a', 64) }],
        Certificates = [new CertificateStatus { Name = "site-wifi", NotAfter = new DateTimeOffset(2027, 6, 30, 0, 0, 0, TimeSpan.Zero) }],
        Staging = new StagingProgress { CompletedSteps = 4, TotalSteps = 4, CurrentStep = "done" },
    };
}

/// <summary>What the bench's devices report: one status for all (the load scenarios), or a real floor's spread (the overview's).</summary>
internal enum BenchFloor
{
    Uniform,
    Mixed,
}
