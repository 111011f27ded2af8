using System.Globalization;
using EdgeMdm.Contracts.Cradles;

namespace EdgeMdm.Edge.Cradles;

/// <summary>A device docked in a cradle slot, as it reported itself (what <c>--follow-devices</c> places).</summary>
internal sealed record DockedDevice(int Slot, string Serial, int? ChargePercent);

/// <summary>
/// The slots of a simulated smart cradle (<c>simulate-cradle</c>): devices and spare batteries that charge on a
/// lithium-ion curve (fast to 80 %, then tapering to full), an occasional insert or removal, a rare fault that clears.
/// Time runs <see cref="TimeLapse"/> times faster than the clock, so a demo sees charge move.
/// </summary>
internal sealed class CradleSimulation
{
    public const int TimeLapse = 30;

    /// <summary>Percent an hour below 80 % (about an hour from flat to 80 %).</summary>
    private const double FastRate = 75;
    private const double ChangeChance = 0.02;
    private const double FaultChance = 0.002;
    private const double FaultClearChance = 0.3;

    private readonly Random _random;
    private readonly string _cradleId;
    private readonly Slot[] _slots;
    private int _inserted;

    public CradleSimulation(string cradleId, int slots, int seed)
    {
        _cradleId = cradleId;
        _random = new Random(seed);
        _slots = [.. Enumerable.Range(0, slots).Select(_ => new Slot())];
        // A bay starts about two-thirds full.
        for (var i = 0; i < slots; i++)
        {
            if (_random.NextDouble() < 0.66)
                Insert(_slots[i], i + 1);
        }
    }

    public int SlotCount => _slots.Length;

    /// <summary>Moves time on by <paramref name="elapsed"/> (times <see cref="TimeLapse"/>). With <paramref name="docked"/>
    /// (follow mode) the slots hold exactly those devices and nothing is inserted or removed at random.</summary>
    public void Step(TimeSpan elapsed, IReadOnlyList<DockedDevice>? docked)
    {
        var hours = elapsed.TotalHours * TimeLapse;
        for (var i = 0; i < _slots.Length; i++)
        {
            var slot = _slots[i];
            if (docked is not null)
                Follow(slot, docked.FirstOrDefault(d => d.Slot == i + 1));
            else if (_random.NextDouble() < ChangeChance)
            {
                if (slot.IsEmpty)
                    Insert(slot, i + 1);
                else
                    slot.Empty();
            }

            if (slot.Fault is not null && _random.NextDouble() < FaultClearChance)
                slot.Fault = null;
            else if (!slot.IsEmpty && slot.Fault is null && _random.NextDouble() < FaultChance)
                slot.Fault = "overtemp";
            if (!slot.IsEmpty && slot.Fault is null)
                slot.Charge = Charged(slot.Charge, hours);
        }
    }

    /// <summary>The charge after <paramref name="hours"/> on the charger: constant current to 80 %, then a taper toward full.</summary>
    public static double Charged(double charge, double hours)
    {
        for (var left = hours; left > 0 && charge < 100; left -= 1.0 / 60)
        {
            var step = Math.Min(left, 1.0 / 60);
            var rate = charge < 80 ? FastRate : Math.Max(2, FastRate * (100 - charge) / 20 / 2);
            charge = Math.Min(100, charge + (rate * step));
        }

        return charge;
    }

    /// <summary>The telemetry of slot <paramref name="slot"/> (1-based).</summary>
    public SlotTelemetry Telemetry(int slot)
    {
        var s = _slots[slot - 1];
        var occupied = !s.IsEmpty;
        return new SlotTelemetry
        {
            Occupied = occupied,
            Content = s.Content,
            Serial = occupied ? s.Serial : null,
            Battery = occupied ? (int)Math.Floor(s.Charge) : SlotTelemetry.NoBattery,
            ChargingReported = occupied,
            Charging = occupied && s.Fault is null && s.Charge < 100,
            Fault = occupied ? s.Fault : null,
        };
    }

    private static void Follow(Slot slot, DockedDevice? device)
    {
        if (device is null)
        {
            if (slot.Followed)
                slot.Empty();
            return;
        }

        if (!slot.Followed || !string.Equals(slot.Serial, device.Serial, StringComparison.Ordinal))
        {
            slot.Empty();
            slot.Content = SlotContents.Device;
            slot.Serial = device.Serial;
            slot.Followed = true;
            slot.Charge = device.ChargePercent ?? 50;
        }
    }

    private void Insert(Slot slot, int number)
    {
        _inserted++;
        var battery = _random.NextDouble() < 0.3;
        slot.Content = battery ? SlotContents.Battery : SlotContents.Device;
        slot.Serial = (battery ? "BAT-" : "SIM-") + _cradleId.ToUpperInvariant() + "-" + number.ToString(CultureInfo.InvariantCulture)
            + "-" + _inserted.ToString(CultureInfo.InvariantCulture);
        slot.Charge = 5 + (_random.NextDouble() * 55);
    }

    private sealed class Slot
    {
        public string Content { get; set; } = SlotContents.Empty;

        public string? Serial { get; set; }

        public double Charge { get; set; }

        public string? Fault { get; set; }

        public bool Followed { get; set; }

        public bool IsEmpty => string.Equals(Content, SlotContents.Empty, StringComparison.Ordinal);

        public void Empty()
        {
            Content = SlotContents.Empty;
            Serial = null;
            Fault = null;
            Charge = 0;
            Followed = false;
        }
    }
}
