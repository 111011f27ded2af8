using System.Globalization;

namespace EdgeMdm.Domain.Text;

/// <summary>
/// Durations as operators type them: <c>500ms</c>, <c>90s</c>, <c>30m</c>, <c>8h</c>, <c>14d</c>, or a
/// combination such as <c>1h30m</c>. No bare numbers: "8" could mean seconds or hours.
/// </summary>
public static class DurationText
{

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var span = text.AsSpan().Trim();
        var total = TimeSpan.Zero;
        while (!span.IsEmpty)
        {
            var digits = 0;
            while (digits < span.Length && char.IsAsciiDigit(span[digits]))
                digits++;
            if (digits == 0 || !long.TryParse(span[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
                return false;
            span = span[digits..];
            var unitLength = 0;
            while (unitLength < span.Length && char.IsAsciiLetter(span[unitLength]))
                unitLength++;
            long? ticksPerUnit = span[..unitLength] switch
            {
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                "d" => TimeSpan.TicksPerDay,
                _ => null,
            };
            if (ticksPerUnit is not { } unit || amount > (TimeSpan.MaxValue.Ticks - total.Ticks) / unit)
                return false;
            total += TimeSpan.FromTicks(amount * unit);
            span = span[unitLength..];
        }

        duration = total;
        return true;
    }

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var duration)
            ? duration
            : throw new FormatException($"'{text}' is not a duration; use forms like 90s, 30m, 8h or 14d");
}
