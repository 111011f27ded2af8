using System.Globalization;

namespace EdgeMdm.ServiceDefaults.WebPages;

/// <summary>How the pages write times: for a person glancing, not a parser.</summary>
public static class PageText
{
    /// <summary>"just now", "14 min ago", "3 h ago", "2 d ago".</summary>
    public static string Ago(DateTimeOffset now, DateTimeOffset at)
    {
        var span = now - at;
        return span.TotalMinutes < 1 ? "just now"
            : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min ago"
            : span.TotalDays < 1 ? $"{(int)span.TotalHours} h ago"
            : $"{(int)span.TotalDays} d ago";
    }

    /// <summary>A time in the server's zone, to the minute.</summary>
    public static string Local(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
