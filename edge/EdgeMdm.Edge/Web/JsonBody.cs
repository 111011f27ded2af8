using System.Buffers;
using System.Text.Json.Serialization.Metadata;
using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Http.Features;

namespace EdgeMdm.Edge.Web;

/// <summary>
/// Reads a JSON request body with the answers RFC 9457 clients expect: 415 for a wrong content type,
/// 413 past <see cref="EdgeOptions.MaxRequestBodyBytes"/>, 400 naming the field for malformed JSON, a
/// value of the wrong type, or a value the validator refuses.
/// </summary>
internal static class JsonBody
{
    /// <returns>The request, or the problem to answer instead (never both).</returns>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, Func<T, RequestValidation> validate)
        where T : class
    {
        var (value, problem) = await ReadAsync(request, typeInfo);
        if (problem is not null)
            return (null, problem);
        var validation = validate(value!);
        return validation.Valid ? (value, null) : (null, ProblemResults.Invalid(validation.Errors));
    }

    private static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (ProblemResults.UnlessJson(request) is { } unsupported)
            return (null, unsupported);

        if (request.ContentLength > DrainLimitBytes)
            return (null, TooLarge());
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = DrainLimitBytes;

        using var body = new MemoryStream();
        try
        {
            if (!await ReadWithinLimitAsync(request.Body, body, request.HttpContext.RequestAborted))
                return (null, TooLarge());
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }

        return ProblemResults.ParseJson(new ReadOnlySpan<byte>(body.GetBuffer(), 0, (int)body.Length), typeInfo);
    }

    /// <summary>
    /// An oversized body up to this size is read to its end and dropped before the 413 goes out. Closing a
    /// connection with unread data in it makes TCP reset it, and the reset can destroy the 413 on its way to
    /// the device; past this size we accept that rather than read more from a misbehaving client.
    /// </summary>
    private const int DrainLimitBytes = 1024 * 1024;

    /// <summary>Copies at most the allowed body; returns false (having drained the rest) when it is larger.</summary>
    private static async Task<bool> ReadWithinLimitAsync(Stream source, MemoryStream destination, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (destination.Length + read > EdgeOptions.MaxRequestBodyBytes)
                {
                    while (await source.ReadAsync(buffer, cancellationToken) > 0)
                    {
                        // Drain: see DrainLimitBytes.
                    }

                    return false;
                }

                destination.Write(buffer, 0, read);
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static IResult TooLarge() =>
        ProblemResults.Create(StatusCodes.Status413PayloadTooLarge, "Request body too large",
            $"the body may be at most {EdgeOptions.MaxRequestBodyBytes / 1024} KiB");
}
