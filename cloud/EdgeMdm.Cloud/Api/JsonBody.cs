using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EdgeMdm.Cloud.Api;

/// <summary>
/// Reads a JSON request body with the answers RFC 9457 clients expect: 415 for a wrong content type, 400
/// naming the field for malformed JSON or a value of the wrong type. The size limit is Kestrel's
/// (<see cref="Options.HubOptions.MaxRestBodyBytes"/>, answered 413).
/// </summary>
internal static class JsonBody
{
    /// <returns>The value, or the problem to answer instead (never both).</returns>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problems.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"the body must be application/json, not '{request.ContentType ?? "(none)"}'"));
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, typeInfo, request.HttpContext.RequestAborted);
            return value is null ? (null, Problems.Invalid("body", "must be a JSON object")) : (value, null);
        }
        catch (JsonException exception)
        {
            var field = exception.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "body";
            var wrongType = exception.Message.Contains("could not be converted", StringComparison.Ordinal);
            var position = $"line {exception.LineNumber + 1}, byte {exception.BytePositionInLine}";
            var message = (wrongType, field) switch
            {
                (true, "body") => "must be a JSON object",
                (true, _) => $"has a value of the wrong type ({position})",
                _ => $"is not valid JSON ({position})",
            };
            return (null, Problems.Invalid(field, message));
        }
    }
}
