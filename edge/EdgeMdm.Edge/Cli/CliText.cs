using System.Globalization;
using EdgeMdm.Domain.Text;

namespace EdgeMdm.Edge.Cli;

/// <summary>How operator commands write numbers, sizes and times, and read durations.</summary>
public static class CliText
{
    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    /// <summary>A positive duration such as 90s, 30m, 8h or 14d; bad usage (exit 2) otherwise.</summary>
    public static TimeSpan Duration(string text, string option) =>
        DurationText.TryParse(text, out var duration) && duration > TimeSpan.Zero
            ? duration
            : throw new CliException($"{option} '{text}' is not a duration; use forms like 90s, 30m, 8h or 14d", 2);
}
