using System.Buffers;
using System.Globalization;

namespace EdgeMdm.Domain.Text;

/// <summary>
/// Durations as operators type them on a command line: <c>500ms</c>, <c>90s</c>, <c>30m</c>, <c>8h</c>,
/// <c>14d</c>, <c>1h30m</c>, <c>1.5h</c>. Shared by every EdgeMdm command so they all read time alike.
/// </summary>
public static class DurationText
{
    private static readonly SearchValues<char> NumberChars = SearchValues.Create("0123456789.");
    private static readonly SearchValues<char> UnitChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz");

    /// <summary>
    /// One or more number-unit pairs (units ms, s, m, h, d; decimals allowed: <c>1.5h</c>). A bare number
    /// is refused: "20" could mean seconds or minutes, and a no is better than a wrong guess. Units are
    /// lowercase only, so "M" (month?) is not silently taken as minutes.
    /// </summary>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var rest = text.AsSpan().Trim();
        var ticks = 0m;
        while (!rest.IsEmpty)
        {
            var numberLength = rest.IndexOfAnyExcept(NumberChars);
            if (numberLength <= 0)
                return false;
            var unitLength = rest[numberLength..].IndexOfAnyExcept(UnitChars);
            if (unitLength < 0)
                unitLength = rest.Length - numberLength;
            if (unitLength == 0
                || !decimal.TryParse(rest[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
                || UnitTicks(rest.Slice(numberLength, unitLength)) is not { } unit)
            {
                return false;
            }

            if (value > (TimeSpan.MaxValue.Ticks - ticks) / unit)
                return false;
            ticks += value * unit;
            rest = rest[(numberLength + unitLength)..];
        }

        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var duration)
            ? duration
            : throw new FormatException($"'{text}' is not a duration; use forms like 90s, 30m, 8h or 14d");

    /// <summary>The shortest exact form: <c>500ms</c>, <c>20s</c>, <c>5m</c>, <c>1h</c>, or seconds with decimals.</summary>
    public static string Format(TimeSpan duration)
    {
        var ticks = duration.Ticks;
        return ticks switch
        {
            _ when ticks != 0 && ticks % TimeSpan.TicksPerHour == 0 => Invariant(ticks / TimeSpan.TicksPerHour, "h"),
            _ when ticks != 0 && ticks % TimeSpan.TicksPerMinute == 0 => Invariant(ticks / TimeSpan.TicksPerMinute, "m"),
            _ when ticks % TimeSpan.TicksPerSecond == 0 => Invariant(ticks / TimeSpan.TicksPerSecond, "s"),
            _ when ticks % TimeSpan.TicksPerMillisecond == 0 => Invariant(ticks / TimeSpan.TicksPerMillisecond, "ms"),
            _ => duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s",
        };
    }

    private static string Invariant(long value, string unit) => value.ToString(CultureInfo.InvariantCulture) + unit;

    private static decimal? UnitTicks(ReadOnlySpan<char> unit) => unit switch
    {
        "ms" => TimeSpan.TicksPerMillisecond,
        "s" => TimeSpan.TicksPerSecond,
        "m" => TimeSpan.TicksPerMinute,
        "h" => TimeSpan.TicksPerHour,
        "d" => TimeSpan.TicksPerDay,
        _ => null,
    };
}
