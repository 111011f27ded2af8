using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Agent;

// Battery, cradle, Wi-Fi and storage: the part of the device that changes by itself as time passes.
public sealed partial class VirtualDevice
{
    private const string Ssid = "WH-FLOOR";
    private const long MiB = 1024L * 1024;
    private const long MinFreeBytes = 20 * MiB;
    private const int MaxCatchUpMinutes = 30 * 24 * 60;

    private static readonly TimeSpan PhysicsStep = TimeSpan.FromMinutes(1);

    // The site's access points (BSSIDs) a device roams between; the first is by the cradles.
    private static readonly string[] AccessPoints =
        ["3c:5a:b4:0e:10:01", "3c:5a:b4:0e:10:02", "3c:5a:b4:0e:10:03", "3c:5a:b4:0e:10:04", "3c:5a:b4:0e:10:05", "3c:5a:b4:0e:10:06"];

    private Random? _roaming;
    private int _accessPoint;
    private DockLocation? _dockedAt;
    private int _lowBatteryDockMinutes;
    private bool _rhythmApplied;

    private DateTimeOffset _simulatedUntil;
    private double _batteryLevel;
    private double _drainPerMinute;
    private double _chargeSinceLastCycle;
    private int _healthPercent;
    private int _cycleCount;
    private bool _docked;
    private int _dockMinutesLeft;
    private long _freeBytes;
    private DateTimeOffset? _storageFullUntil;
    private int _rssi;

    private void InitializePhysics(Random random)
    {
        _cycleCount = random.Next(20, 800);
        _healthPercent = Math.Clamp(100 - (_cycleCount / 25) - random.Next(6), 70, 100);
        _drainPerMinute = 0.11 + (random.NextDouble() * 0.08);
        _docked = _profile.VehicleMount || random.NextDouble() < 0.3;
        _batteryLevel = _profile.VehicleMount ? 100 : random.Next(25, 101);
        _dockMinutesLeft = _docked ? random.Next(30, 150) : random.Next(60, 420);
        var nearlyFull = random.NextDouble() < 0.08;
        _freeBytes = nearlyFull
            ? random.Next(150, 450) * MiB
            : (long)(_profile.TotalBytes * (0.2 + (random.NextDouble() * 0.5))) / MiB * MiB;
        _rssi = -random.Next(50, 76);
    }

    /// <summary>Brings the device up to the clock's now and returns that now.</summary>
    private DateTimeOffset Advance()
    {
        var now = _time.GetUtcNow();
        if (now - _simulatedUntil > PhysicsStep * MaxCatchUpMinutes)
            _simulatedUntil = now - (PhysicsStep * MaxCatchUpMinutes); // powered off for weeks: nothing to replay
        // A device made mid-shift is where the rhythm puts it from its first look, not after its first minute.
        if (!_rhythmApplied && Shifts is not null && !_profile.VehicleMount)
        {
            _rhythmApplied = true;
            FollowShifts();
        }

        while (_simulatedUntil + PhysicsStep <= now)
        {
            _simulatedUntil += PhysicsStep;
            StepOneMinute();
        }

        HoldStorageFull(now);
        ProcessDueWork(now);
        ProcessStaging(now);
        return now;
    }

    private void StepOneMinute()
    {
        if (Shifts is not null && !_profile.VehicleMount)
            FollowShifts();
        else if (!_profile.VehicleMount && --_dockMinutesLeft <= 0)
            PutInCradle(!_docked);
        if (_docked)
            Charge();
        else
            Drain();

        // A worker with a flat scanner swaps it into a cradle instead of letting it die.
        if (!_docked && _batteryLevel < 8)
        {
            PutInCradle(true);
            _lowBatteryDockMinutes = 45;
        }

        Roam();

        if (_physics.NextDouble() < 0.15)
            _rssi = Math.Clamp(_rssi + _physics.Next(-6, 7), -85, -45);

        // Logs, caches and photos fill storage slowly; now and then the system clears caches.
        if (_physics.NextDouble() < 0.02)
            _freeBytes = Math.Max(MinFreeBytes, _freeBytes - (_physics.Next(1, 21) * MiB));
        if (_physics.NextDouble() < 0.003)
            _freeBytes = Math.Min(_profile.TotalBytes / 10 * 9, _freeBytes + (_physics.Next(50, 301) * MiB));
    }

    /// <summary>
    /// Storage full to the last byte until <paramref name="freedAfter"/> from now (null: for good), when
    /// someone clears photos and logs and 40 % of the device is free again: the simulator's devices that
    /// cannot take a package at first and must converge once they can.
    /// </summary>
    public void FillStorage(TimeSpan? freedAfter)
    {
        var now = Advance();
        _storageFullUntil = freedAfter is { } after ? now + after : DateTimeOffset.MaxValue;
        HoldStorageFull(now);
    }

    private void HoldStorageFull(DateTimeOffset now)
    {
        if (_storageFullUntil is not { } until)
            return;
        if (now < until)
        {
            _freeBytes = 0;
            return;
        }

        _storageFullUntil = null;
        _freeBytes = Math.Max(_freeBytes, _profile.TotalBytes / 10 * 4);
    }

    /// <summary>Shift-like: a few hours on the floor, one or two in the cradle.</summary>
    private void PutInCradle(bool docked)
    {
        SetDocked(docked);
        _dockMinutesLeft = docked ? _physics.Next(45, 150) : _physics.Next(180, 420);
    }

    /// <summary>With <see cref="Shifts"/>: out on the floor during a shift, docked between; a flat battery stays docked a while.</summary>
    private void FollowShifts()
    {
        if (_lowBatteryDockMinutes > 0)
        {
            _lowBatteryDockMinutes--;
            return;
        }

        var local = TimeZoneInfo.ConvertTime(_simulatedUntil, _time.LocalTimeZone).DateTime;
        var onFloor = Shifts!.OnFloor(local, _shiftSeed);
        if (onFloor == _docked)
            SetDocked(!onFloor);
    }

    /// <summary>Docks or undocks; with <see cref="Cradles"/> a docked device takes a free slot and frees it when it leaves.</summary>
    private void SetDocked(bool docked)
    {
        _docked = docked;
        if (Cradles is null)
            return;
        if (docked)
        {
            _dockedAt = Cradles.Dock(Serial);
            _accessPoint = 0;
        }
        else
        {
            Cradles.Undock(Serial);
            _dockedAt = null;
        }
    }

    /// <summary>On the floor a device moves between access points now and then; in a cradle it hears the one by the cradles.</summary>
    private void Roam()
    {
        _roaming ??= new Random(_shiftSeed);
        if (!_docked && _roaming.NextDouble() < 0.05)
            _accessPoint = _roaming.Next(AccessPoints.Length);
    }

    /// <summary>What the charger would say is left to full, in minutes: fast to 80 %, then tapering (as <see cref="Charge"/>).</summary>
    private int? TimeToFullMinutes(int level)
    {
        if (!_docked || level >= 100)
            return null;
        var toEighty = level < 80 ? (80 - _batteryLevel) / 0.8 : 0;
        var toFull = (100 - Math.Max(80, _batteryLevel)) / 0.35;
        return (int)Math.Ceiling(toEighty + toFull);
    }

    private void Charge()
    {
        // Fast up to 80 %, then the charger tapers off.
        var added = Math.Min(_batteryLevel < 80 ? 0.8 : 0.35, 100 - _batteryLevel);
        _batteryLevel += added;
        _chargeSinceLastCycle += added;
        if (_chargeSinceLastCycle < 100)
            return;
        _chargeSinceLastCycle -= 100;
        _cycleCount++;
        if (_cycleCount % 40 == 0 && _healthPercent > 70)
            _healthPercent--;
    }

    private void Drain()
    {
        // A worn battery holds less, so the same work costs it more percent.
        var load = 0.8 + (_physics.NextDouble() * 0.4);
        _batteryLevel = Math.Max(1, _batteryLevel - (_drainPerMinute * load * 100 / _healthPercent));
    }

    private BatteryStatus BatterySnapshot()
    {
        // Docked before the fleet's cradles were known (at construction), or when every slot was taken: try again.
        if (_docked && Cradles is not null && _dockedAt is null)
            _dockedAt = Cradles.Dock(Serial);
        var level = (int)Math.Floor(_batteryLevel);
        return new BatteryStatus
        {
            Level = level,
            HealthPercent = _healthPercent,
            CycleCount = _cycleCount,
            Charging = _docked && level < 100,
            Docked = _docked,
            Serial = BatterySerial,
            TimeToFullMinutes = TimeToFullMinutes(level),
            DockedAt = _docked ? _dockedAt : null,
        };
    }

    private WifiStatus WifiSnapshot() => new() { Ssid = Ssid, Rssi = _rssi, Bssid = AccessPoints[_accessPoint] };

    /// <summary>The battery pack's serial: stable, derived from the device's.</summary>
    private string BatterySerial => "BP-" + Serial;

    /// <summary>
    /// The cradles the simulated fleet shares (<c>simulate --cradles</c>): docking takes a free slot, reported as
    /// <see cref="BatteryStatus.DockedAt"/>. Null: docked devices report no location.
    /// </summary>
    private CradleBank? Cradles => _floor?.Cradles;

    /// <summary>Shift-like docking instead of the default rhythm (<c>simulate --shift-pattern</c>).</summary>
    private ShiftRhythm? Shifts => _floor?.Shifts;

    // Test seams: put the device in a known physical state.
    internal void ForceDock(bool docked, TimeSpan holdFor)
    {
        Advance();
        SetDocked(docked);
        _dockMinutesLeft = (int)Math.Ceiling(holdFor.TotalMinutes);
    }

    internal void SetBatteryLevel(double level)
    {
        Advance();
        _batteryLevel = level;
    }

    internal void SetFreeBytes(long freeBytes)
    {
        Advance();
        _storageFullUntil = null;
        _freeBytes = freeBytes;
    }
}
