using System.Globalization;

namespace EdgeMdm.Domain.Custody;

/// <summary>
/// Custody events as CSV (RFC 4180): a header line, then one line per event with both its hashes, CRLF line ends, a
/// field quoted (its quotes doubled) when it holds a comma, a quote, a CR or a LF. Times are UTC, ISO 8601, to the
/// millisecond (as hashed). The same columns at the site (<c>edgemdm-edge custody export</c>) and the hub (<c>edgemdm custody export</c>).
/// </summary>
public static class CustodyCsv
{
    public static IReadOnlyList<string> Columns { get; } =
    [
        "subject", "subject_kind", "index", "at", "from", "to", "actor", "place", "note",
        "erasure_method", "erasure_certificate", "previous_hash", "hash",
    ];

    /// <summary>Writes the header and <paramref name="events"/>, in the order given, before <paramref name="site"/> as a first column when not null.</summary>
    public static void Write(TextWriter output, IEnumerable<CustodyEvent> events, string? site = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(events);
        Line(output, site is null ? Columns : ["site", .. Columns]);
        foreach (var e in events)
        {
            string[] fields =
            [
                e.Subject, e.SubjectKind == CustodySubjectKind.Device ? "device" : "battery", e.Index.ToString(CultureInfo.InvariantCulture),
                e.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), e.From, e.To, e.Actor, e.Place, e.Note,
                e.ErasureMethod, e.ErasureCertificate, e.PreviousHash, e.Hash,
            ];
            Line(output, site is null ? fields : [site, .. fields]);
        }
    }

    /// <summary>One field as RFC 4180 writes it.</summary>
    public static string Field(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static void Line(TextWriter output, IEnumerable<string> fields)
    {
        output.Write(string.Join(',', fields.Select(Field)));
        output.Write("\r\n");
    }
}

/// <summary>
/// The times an export is bounded by: <c>2026-11-01</c> (a day: from its start, or with <paramref name="end"/> through its
/// end) or a full time (<c>2026-11-01T08:00:00Z</c>, UTC unless it says otherwise). The end is exclusive.
/// </summary>
public static class CustodyPeriod
{
    /// <summary>The instant <paramref name="text"/> stands for as a start (or, when <paramref name="end"/>, as an exclusive end); null when it is no date.</summary>
    public static DateTimeOffset? Parse(string text, bool end)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return end ? start.AddDays(1) : start;
        }

        return DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }
}
