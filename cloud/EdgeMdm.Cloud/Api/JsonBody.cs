using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EdgeMdm.Cloud.Api;

/// <summary>
/// Reads a JSON request body with the answers RFC 9457 clients expect: 415 for a wrong content type, 400 naming the
/// field for malformed JSON or a value of the wrong type. The size limit is Kestrel's
/// (<see cref="Options.HubOptions.MaxRestBodyBytes"/>, answered 413); a body Kestrel refuses while it arrives
/// (malformed chunks, too slow, too large) throws its <see cref="BadHttpRequestException"/> out of here, for the
/// service defaults' fault handler to answer.
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

        // The whole body first (bounded by Kestrel's limit): a failed read can then be looked at again, below.
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted);
        var bytes = new ReadOnlySpan<byte>(body.GetBuffer(), 0, (int)body.Length);
        try
        {
            var value = JsonSerializer.Deserialize(bytes, typeInfo);
            return value is null ? (null, Problems.Invalid("body", "must be a JSON object")) : (value, null);
        }
        catch (JsonException exception)
        {
            return (null, Invalid(exception, IsWellFormed(bytes, typeInfo.Options)));
        }
    }

    /// <summary>
    /// The field is the failure's JSON path (<c>$.apps[0].versionCode</c> → <c>apps[0].versionCode</c>; the root is
    /// <c>body</c>). Well-formed JSON that did not bind has a value of the wrong type there; anything else is not JSON.
    /// </summary>
    private static IResult Invalid(JsonException exception, bool wellFormed)
    {
        var field = exception.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "body";
        var position = string.Create(CultureInfo.InvariantCulture, $"line {exception.LineNumber + 1}, byte {exception.BytePositionInLine}");
        var message = (wellFormed, field) switch
        {
            (true, "body") => "must be a JSON object",
            (true, _) => $"has a value of the wrong type ({position})",
            _ => $"is not valid JSON ({position})",
        };
        return Problems.Invalid(field, message);
    }

    /// <summary>Whether the bytes are one JSON value by the serializer's own reading rules (comments, trailing commas, depth).</summary>
    private static bool IsWellFormed(ReadOnlySpan<byte> bytes, JsonSerializerOptions options)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
        {
            AllowTrailingCommas = options.AllowTrailingCommas,
            CommentHandling = options.ReadCommentHandling,
            MaxDepth = options.MaxDepth,
        });
        try
        {
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            // The reader's own verdict on the bytes, whatever its message says.
            return false;
        }
    }
}
