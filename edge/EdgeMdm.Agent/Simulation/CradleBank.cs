using System.Globalization;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Agent;

/// <summary>What the simulated floor gives its devices: the cradles they share (<c>--cradles</c>) and shift-like docking (<c>--shift-pattern</c>); either may be null.</summary>
public sealed record SiteFloor(CradleBank? Cradles, ShiftRhythm? Shifts);

/// <summary>
/// The site's cradles as the simulated fleet shares them (<c>simulate --cradles gpio-1:8,gpio-2:8,bay-3:10</c>): a device
/// that docks takes the first free slot, in the order the cradles were given, and frees it when it leaves; with none
/// free it docks without a location (a plain charger). Thread-safe: every device of the process uses the one bank.
/// </summary>
public sealed class CradleBank
{
    private readonly (string CradleId, int Slots)[] _cradles;
    private readonly Dictionary<(string, int), string> _taken = [];
    private readonly Dictionary<string, DockLocation> _bySerial = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public CradleBank(IReadOnlyList<(string CradleId, int Slots)> cradles)
    {
        ArgumentNullException.ThrowIfNull(cradles);
        _cradles = [.. cradles];
    }

    /// <summary>Parses <c>ID:SLOTS[,ID:SLOTS...]</c>; null with <paramref name="problem"/> when it is not that.</summary>
    public static CradleBank? TryParse(string text, out string? problem)
    {
        problem = null;
        var cradles = new List<(string, int)>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var slots) || slots is < 1 or > 256)
            {
                problem = $"'{part}' is not CRADLE:SLOTS with 1 to 256 slots";
                return null;
            }

            var id = part[..colon];
            if (cradles.Exists(c => string.Equals(c.Item1, id, StringComparison.Ordinal)))
            {
                problem = $"cradle '{id}' is given twice";
                return null;
            }

            cradles.Add((id, slots));
        }

        if (cradles.Count == 0)
            problem = "name at least one cradle, e.g. gpio-1:8";
        return problem is null ? new CradleBank(cradles) : null;
    }

    /// <summary>The slot <paramref name="serial"/> holds, taking the first free one when it holds none; null when all are taken.</summary>
    public DockLocation? Dock(string serial)
    {
        lock (_lock)
        {
            if (_bySerial.TryGetValue(serial, out var held))
                return held;
            foreach (var (cradle, slots) in _cradles)
            {
                for (var slot = 1; slot <= slots; slot++)
                {
                    if (_taken.TryAdd((cradle, slot), serial))
                    {
                        var location = new DockLocation { CradleId = cradle, Slot = slot };
                        _bySerial[serial] = location;
                        return location;
                    }
                }
            }

            return null;
        }
    }

    /// <summary>Frees the slot <paramref name="serial"/> holds, if any.</summary>
    public void Undock(string serial)
    {
        lock (_lock)
        {
            if (_bySerial.Remove(serial, out var held))
                _taken.Remove((held.CradleId!, held.Slot!.Value));
        }
    }

    /// <summary>How many slots are taken now.</summary>
    public int Occupied
    {
        get
        {
            lock (_lock)
                return _taken.Count;
        }
    }
}
