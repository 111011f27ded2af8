using System.Globalization;

namespace EdgeMdm.Domain.Floor;

/// <summary>A shift as the site configures it: a name and local start and end times; an end at or before the start is the next day.</summary>
public sealed record ShiftDefinition(string Name, TimeOnly Start, TimeOnly End)
{
    public bool CrossesMidnight => End <= Start;
}

/// <summary>
/// One shift on one day, in absolute time. <see cref="Id"/> (<c>name@yyyy-MM-dd</c>, the local date it starts on) names it
/// in reports and alerts.
/// </summary>
public sealed record ShiftOccurrence(string Name, DateOnly Date, DateTimeOffset Start, DateTimeOffset End)
{
    public string Id => Name + "@" + Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public TimeSpan Length => End - Start;
}

/// <summary>
/// The site's shifts in its time zone. Local times become instants through <see cref="TimeZoneInfo"/>: a start in the
/// hour a spring-forward skips begins when the clocks have moved (as a wall clock shows it), and one in the hour a
/// fall-back repeats begins the first time that hour comes, so a shift across a DST change lasts what the wall clock says.
/// </summary>
public sealed class ShiftSchedule
{
    private const int MinutesPerDay = 24 * 60;

    private readonly IReadOnlyList<ShiftDefinition> _shifts;
    private readonly TimeZoneInfo _zone;

    public ShiftSchedule(IReadOnlyList<ShiftDefinition> shifts, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(shifts);
        ArgumentNullException.ThrowIfNull(zone);
        _shifts = shifts;
        _zone = zone;
    }

    public bool IsEmpty => _shifts.Count == 0;

    public TimeZoneInfo Zone => _zone;

    /// <summary>What is wrong with a set of shifts: empty or repeated names, zero-length shifts, shifts that overlap (touching is fine).</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<ShiftDefinition> shifts)
    {
        ArgumentNullException.ThrowIfNull(shifts);
        var problems = new List<string>();
        foreach (var repeated in shifts.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
            problems.Add($"shift '{repeated.Key}' is defined {repeated.Count()} times");
        foreach (var shift in shifts)
        {
            if (string.IsNullOrWhiteSpace(shift.Name))
                problems.Add("a shift needs a name");
            if (shift.Start == shift.End)
                problems.Add($"shift '{shift.Name}' starts and ends at {Text(shift.Start)}: a shift has a length");
        }

        for (var i = 0; i < shifts.Count; i++)
        {
            for (var j = i + 1; j < shifts.Count; j++)
            {
                if (Overlap(shifts[i], shifts[j]))
                    problems.Add($"shifts '{shifts[i].Name}' ({Text(shifts[i].Start)}-{Text(shifts[i].End)}) and '{shifts[j].Name}' ({Text(shifts[j].Start)}-{Text(shifts[j].End)}) overlap");
            }
        }

        return problems;
    }

    /// <summary>Every occurrence that starts on the local days around <paramref name="at"/> (two before, two after), by start.</summary>
    public IReadOnlyList<ShiftOccurrence> Around(DateTimeOffset at)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, _zone).DateTime);
        var occurrences = new List<ShiftOccurrence>();
        for (var day = -2; day <= 2; day++)
        {
            var date = today.AddDays(day);
            foreach (var shift in _shifts)
                occurrences.Add(On(shift, date));
        }

        return [.. occurrences.OrderBy(o => o.Start)];
    }

    /// <summary>The first shift that starts after <paramref name="at"/>; null without shifts.</summary>
    public ShiftOccurrence? Next(DateTimeOffset at) => Around(at).FirstOrDefault(o => o.Start > at);

    /// <summary>The shift under way at <paramref name="at"/> (started, not ended); null between shifts.</summary>
    public ShiftOccurrence? Current(DateTimeOffset at) => Around(at).LastOrDefault(o => o.Start <= at && at < o.End);

    /// <summary>The shift that ended last at or before <paramref name="at"/>; null without shifts.</summary>
    public ShiftOccurrence? LastEnded(DateTimeOffset at) => Around(at).Where(o => o.End <= at).MaxBy(o => o.End);

    /// <summary>The occurrence of <paramref name="shift"/> that starts on local <paramref name="date"/>.</summary>
    public ShiftOccurrence On(ShiftDefinition shift, DateOnly date)
    {
        ArgumentNullException.ThrowIfNull(shift);
        var start = ToInstant(date.ToDateTime(shift.Start));
        var end = ToInstant((shift.CrossesMidnight ? date.AddDays(1) : date).ToDateTime(shift.End));
        return new ShiftOccurrence(shift.Name, date, start, end);
    }

    /// <summary>A wall-clock time of the site's zone as an instant (DST rules in the summary).</summary>
    public DateTimeOffset ToInstant(DateTime local)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        // Skipped by a spring-forward (30 or 60 minutes in every zone there is): the wall clock's first minute after it.
        for (var i = 0; i < 8 && _zone.IsInvalidTime(local); i++)
            local = local.AddMinutes(15);
        if (_zone.IsAmbiguousTime(local))
            return new DateTimeOffset(local, _zone.GetAmbiguousTimeOffsets(local).Max());
        return new DateTimeOffset(local, _zone.GetUtcOffset(local));
    }

    private static bool Overlap(ShiftDefinition a, ShiftDefinition b)
    {
        var (aStart, aEnd) = Minutes(a);
        var (bStart, bEnd) = Minutes(b);
        // b on the day before, the same day, the day after.
        for (var shift = -MinutesPerDay; shift <= MinutesPerDay; shift += MinutesPerDay)
        {
            if (aStart < bEnd + shift && bStart + shift < aEnd)
                return true;
        }

        return false;
    }

    private static (int Start, int End) Minutes(ShiftDefinition shift)
    {
        var start = (shift.Start.Hour * 60) + shift.Start.Minute;
        var end = (shift.End.Hour * 60) + shift.End.Minute;
        return (start, shift.CrossesMidnight ? end + MinutesPerDay : end);
    }

    private static string Text(TimeOnly time) => time.ToString("HH:mm", CultureInfo.InvariantCulture);
}
