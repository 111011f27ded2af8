using System.Globalization;

namespace EdgeMdm.Agent;

/// <summary>
/// Shift-like docking (<c>simulate --shift-pattern 06:00-14:00,14:00-22:00</c>), in the local time of the devices'
/// clock: each device leaves its cradle within 20 minutes of a shift's start and is back within 25 minutes before its
/// end; about one in twenty stays out 45–90 minutes past the end of a given shift (what the appliance reports as
/// missing). Between shifts devices stay docked. Each device's offsets are drawn per shift from its seed: deterministic.
/// </summary>
public sealed class ShiftRhythm
{
    private const int MinutesPerDay = 24 * 60;
    private readonly (int Start, int End)[] _shifts;

    private ShiftRhythm((int, int)[] shifts) => _shifts = shifts;

    /// <summary>Parses <c>HH:mm-HH:mm[,...]</c> (an end at or before the start is the next day); null with the problem otherwise.</summary>
    public static ShiftRhythm? TryParse(string text, out string? problem)
    {
        problem = null;
        var shifts = new List<(int, int)>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !TryMinutes(part[..dash], out var start) || !TryMinutes(part[(dash + 1)..], out var end) || start == end)
            {
                problem = $"'{part}' is not a shift HH:mm-HH:mm";
                return null;
            }

            shifts.Add((start, end));
        }

        if (shifts.Count == 0)
            problem = "name at least one shift, e.g. 06:00-14:00";
        return problem is null ? new ShiftRhythm([.. shifts]) : null;
    }

    /// <summary>Whether the device of <paramref name="seed"/> is out on the floor at local time <paramref name="local"/>.</summary>
    public bool OnFloor(DateTime local, int seed)
    {
        var day = DateOnly.FromDateTime(local).DayNumber;
        var minute = (local.Hour * 60) + local.Minute;
        for (var i = 0; i < _shifts.Length; i++)
        {
            var (start, end) = _shifts[i];
            var length = ((end - start) + MinutesPerDay) % MinutesPerDay;
            var sinceStart = ((minute - start) + MinutesPerDay) % MinutesPerDay;
            // The occurrence that started at or before now (today's, or yesterday's for a shift across midnight).
            var startDay = minute >= start ? day : day - 1;
            var draw = (uint)Seeds.Mix(seed, (startDay * 16) + i);
            var leaveAfter = (int)(draw % 20);
            var backBefore = (int)(draw / 20 % 25);
            var straggles = draw / 500 % 20 == 0;
            var lateBy = 45 + (int)(draw / 10_000 % 46);
            if (sinceStart >= leaveAfter && sinceStart < length - backBefore)
                return true;
            if (straggles && sinceStart >= length && sinceStart < length + lateBy)
                return true;
        }

        return false;
    }

    private static bool TryMinutes(string text, out int minutes)
    {
        minutes = 0;
        if (!TimeOnly.TryParseExact(text.Trim(), ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            return false;
        minutes = (time.Hour * 60) + time.Minute;
        return true;
    }
}
