using System.Globalization;
using System.Text.Json;

namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// What is wrong with a JSON request body the serializer refused, said in the client's terms: which field (the JSON path
/// of the failure; <c>body</c> for the root) and whether it is not JSON at all or a value of the wrong type there.
/// Decided from the bytes themselves, never from the text of the serializer's message (which names .NET types).
/// </summary>
internal static class JsonFaults
{
    /// <returns>The field and the message to answer with a 400 that names it.</returns>
    public static (string Field, string Message) Describe(JsonException exception, ReadOnlySpan<byte> body, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(options);
        var field = exception.Path is { Length: > 1 } path ? path.TrimStart('$', '.') : "body";
        var position = string.Create(CultureInfo.InvariantCulture, $"line {exception.LineNumber + 1}, byte {exception.BytePositionInLine}");
        var message = (IsWellFormed(body, options), field) switch
        {
            (true, "body") => "must be a JSON object",
            (true, _) => $"has a value of the wrong type ({position})",
            _ => $"is not valid JSON ({position})",
        };
        return (field, message);
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
