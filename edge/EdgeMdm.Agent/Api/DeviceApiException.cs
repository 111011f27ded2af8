using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace EdgeMdm.Agent;

/// <summary>
/// The appliance answered outside 2xx (or with a body that cannot be read). <see cref="Title"/>,
/// <see cref="Detail"/> and <see cref="Errors"/> come from the RFC 9457 problem details when the answer
/// has them; otherwise the title is the HTTP reason phrase.
/// </summary>
public sealed class DeviceApiException : Exception
{
    private const int MaxProblemBytes = 64 * 1024;

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoErrors =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    public DeviceApiException()
        : this("the appliance refused the request")
    {
    }

    public DeviceApiException(string message)
        : this(message, innerException: null)
    {
    }

    public DeviceApiException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Title = message;
        Errors = NoErrors;
    }

    public DeviceApiException(
        HttpStatusCode statusCode,
        string title,
        string? detail,
        string? problemType = null,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? errors = null,
        Exception? innerException = null)
        : base(Describe(statusCode, title, detail, errors), innerException)
    {
        ArgumentNullException.ThrowIfNull(title);
        StatusCode = statusCode;
        Title = title;
        Detail = detail;
        ProblemType = problemType;
        Errors = errors ?? NoErrors;
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>Short summary of the problem type ("Enrollment token used up").</summary>
    public string Title { get; }

    /// <summary>What went wrong with this request, when the appliance said.</summary>
    public string? Detail { get; }

    /// <summary>The problem's <c>type</c> URI, when the appliance sent one.</summary>
    public string? ProblemType { get; }

    /// <summary>For a 400: the invalid fields by name; empty otherwise.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Errors { get; }

    /// <summary>Client errors other than 408 and 429 will fail the same way when repeated.</summary>
    public bool IsPermanent => (int)StatusCode is >= 400 and < 500 and not 408 and not 429;

    internal static async Task<DeviceApiException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var fallbackTitle = response.ReasonPhrase is { Length: > 0 } reason ? reason : response.StatusCode.ToString();
        var problem = await TryReadProblemAsync(response, cancellationToken);
        if (problem is null)
            return new DeviceApiException(response.StatusCode, fallbackTitle, detail: null);
        return new DeviceApiException(
            response.StatusCode,
            string.IsNullOrWhiteSpace(problem.Title) ? fallbackTitle : problem.Title,
            problem.Detail,
            problem.Type,
            ToErrors(problem.Errors));
    }

    internal static DeviceApiException Malformed(HttpResponseMessage response, string detail, Exception? innerException = null) =>
        new(response.StatusCode, "Malformed answer from the appliance", detail, innerException: innerException);

    private static async Task<ProblemDetailsBody?> TryReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        var isJson = mediaType is not null
            && (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        if (!isJson || response.Content.Headers.ContentLength > MaxProblemBytes)
            return null;
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using (stream)
                return await JsonSerializer.DeserializeAsync(stream, AgentJson.Default.ProblemDetailsBody, cancellationToken);
        }
        catch (JsonException)
        {
            // A body that is not problem details is no worse than no body: the status code still tells.
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>ASP.NET Core sends <c>{"field": ["message", ...]}</c>; a single string per field is taken too.</summary>
    private static Dictionary<string, IReadOnlyList<string>>? ToErrors(Dictionary<string, JsonElement>? errors)
    {
        if (errors is null || errors.Count == 0)
            return null;
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (field, value) in errors)
        {
            result[field] = value.ValueKind switch
            {
                JsonValueKind.Array => value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.GetRawText()).ToArray(),
                JsonValueKind.String => [value.GetString() ?? ""],
                _ => [value.GetRawText()],
            };
        }

        return result;
    }

    private static string Describe(HttpStatusCode statusCode, string title, string? detail, IReadOnlyDictionary<string, IReadOnlyList<string>>? errors)
    {
        var text = new StringBuilder();
        text.Append(((int)statusCode).ToString(CultureInfo.InvariantCulture)).Append(' ').Append(title);
        if (!string.IsNullOrWhiteSpace(detail))
            text.Append(": ").Append(detail);
        if (errors is { Count: > 0 })
        {
            text.Append(" (");
            text.AppendJoin("; ", errors.Select(e => e.Key + ": " + string.Join(", ", e.Value)));
            text.Append(')');
        }

        return text.ToString();
    }
}
