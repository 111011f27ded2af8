using EdgeMdm.Domain.Custody;
using EdgeMdm.Domain.Outcomes;

namespace EdgeMdm.Edge.Custody;

/// <summary>The checks on a hand-off before anything is read or written: the same for the CLI and the API.</summary>
internal static class CustodyRequests
{
    /// <summary>Parties, places, subjects, erasure methods and certificate ids.</summary>
    public const int MaxShortText = 256;

    /// <summary>A note.</summary>
    public const int MaxNote = 1024;

    /// <summary>The first thing wrong with the request, as a refusal; null when it may be recorded.</summary>
    public static Refusal? Problem(CustodyRecordRequest request)
    {
        var problem = Text("subject", request.Subject, MaxShortText, required: true)
            ?? Text("from", request.From, MaxShortText, required: true)
            ?? Text("to", request.To, MaxShortText, required: true)
            ?? Text("place", request.Place, MaxShortText)
            ?? Text("note", request.Note, MaxNote)
            ?? Text("erasure", request.Erasure, 2 * MaxShortText + 1);
        if (problem is null && string.Equals(request.From.Trim(), request.To.Trim(), StringComparison.OrdinalIgnoreCase))
            problem = $"from and to are the same party ('{request.To.Trim()}'): that is no hand-off";
        if (problem is null && request.Erasure is not null)
        {
            if (request.Battery)
                problem = "a battery pack holds no data to erase: --erasure is for decommissioning a device";
            else if (ErasureOf(request.Erasure) is null)
                problem = $"erasure '{request.Erasure}' is not METHOD:CERTIFICATE (e.g. nist-800-88-purge:CERT-2291)";
        }

        return problem is null ? null : new Refusal(RefusalKind.Unprocessable, "Invalid hand-off", problem);
    }

    /// <summary><c>METHOD:CERTIFICATE</c>, both parts non-empty (the certificate id may itself hold colons); null otherwise.</summary>
    public static ErasureRecord? ErasureOf(string? erasure)
    {
        if (erasure is null)
            return null;
        var colon = erasure.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
            return null;
        var method = erasure[..colon].Trim();
        var certificate = erasure[(colon + 1)..].Trim();
        return method.Length == 0 || certificate.Length == 0 || method.Length > MaxShortText || certificate.Length > MaxShortText
            ? null
            : new ErasureRecord(method, certificate);
    }

    private static string? Text(string field, string? value, int max, bool required = false)
    {
        if (value is null || value.Trim().Length == 0)
            return required ? $"{field} is required" : null;
        if (value.Length > max)
            return $"{field} may be at most {max} characters";
        return value.Any(char.IsControl) && !string.Equals(field, "note", StringComparison.Ordinal) ? $"{field} may not hold control characters" : null;
    }
}
