using System.Globalization;
using System.Text.Json;
using EdgeMdm.Domain.Custody;

namespace EdgeMdm.Domain.Audit;

/// <summary>The two forms an audit export takes.</summary>
public enum AuditFormat
{
    Csv,
    JsonLines,
}

/// <summary>
/// Audit records written for export: CSV (RFC 4180, a header then one line per record, CRLF) or JSON lines (one object
/// per record, LF), each with both hashes so that an export can be verified on its own. Times are UTC, ISO 8601, to the
/// millisecond (as hashed). The same at the site and the hub.
/// </summary>
public static class AuditExport
{
    public static IReadOnlyList<string> Columns { get; } =
        ["chain", "index", "at", "actor", "action", "subject", "source", "detail", "previous_hash", "hash"];

    /// <summary>The format a word names (<c>csv</c>, <c>jsonl</c>), or null.</summary>
    public static AuditFormat? ParseFormat(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "csv" => AuditFormat.Csv,
        "jsonl" or "json-lines" or "ndjson" => AuditFormat.JsonLines,
        _ => null,
    };

    public static void Write(TextWriter output, IEnumerable<AuditRecord> records, AuditFormat format)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(records);
        if (format == AuditFormat.Csv)
            output.Write(string.Join(',', Columns) + "\r\n");
        foreach (var r in records)
        {
            string[] fields =
            [
                r.Chain, r.Index.ToString(CultureInfo.InvariantCulture), Time(r.At), r.Actor, r.Action, r.Subject, r.Source, r.Detail,
                r.PreviousHash, r.Hash,
            ];
            if (format == AuditFormat.Csv)
            {
                output.Write(string.Join(',', fields.Select(CustodyCsv.Field)) + "\r\n");
                continue;
            }

            output.Write(JsonLine(fields, r.Index) + "\n");
        }
    }

    private static string JsonLine(string[] fields, long index)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            for (var i = 0; i < Columns.Count; i++)
            {
                if (i == 1)
                    json.WriteNumber(Columns[i], index);
                else
                    json.WriteString(Columns[i], fields[i]);
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
