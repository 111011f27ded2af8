using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace EdgeMdm.ServiceDefaults;

/// <summary>
/// The one RFC 9457 shape both servers' endpoints answer with: a problem with a title and a detail, or for invalid
/// fields a validation problem keyed by each field's JSON path. Like the middleware's own problems, they go through
/// the host's <c>IProblemDetailsService</c>.
/// </summary>
public static class ProblemResults
{
    public static IResult Create(int status, string title, string detail, string? type = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type);

    public static IResult Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    public static IResult Invalid(IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return TypedResults.ValidationProblem(errors, detail: "the request has invalid fields: " + string.Join(", ", errors.Keys), title: "Invalid request");
    }

    /// <summary>401 with the <c>WWW-Authenticate</c> challenge RFC 9110 requires beside the problem body.</summary>
    public static IResult Unauthorized(string realm, string title, string detail) => new UnauthorizedProblem(realm, title, detail);

    /// <summary>
    /// 429 with <c>Retry-After</c> in whole seconds (at least one), as the rate limiter answers: for a limit an endpoint
    /// applies itself, after reading what the limit is keyed by.
    /// </summary>
    public static IResult TooManyRequests(HttpResponse response, TimeSpan wait, string reason)
    {
        ArgumentNullException.ThrowIfNull(response);
        var seconds = Problems.SetRetryAfter(response, wait);
        return Create(StatusCodes.Status429TooManyRequests, "Too Many Requests", $"{reason}; retry after {seconds} s");
    }

    /// <summary>415 unless the request says its body is JSON; null when it does.</summary>
    public static IResult? UnlessJson(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.HasJsonContentType()
            ? null
            : Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", $"the body must be application/json, not '{request.ContentType ?? "(none)"}'");
    }

    /// <summary>A JSON body already read, as the value or as a 400 naming the field that is wrong (<see cref="JsonFaults.Describe"/>).</summary>
    public static (T? Value, IResult? Problem) ParseJson<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        try
        {
            return JsonSerializer.Deserialize(body, typeInfo) is { } value ? (value, null) : (null, Invalid("body", "must be a JSON object"));
        }
        catch (JsonException exception)
        {
            var (field, message) = JsonFaults.Describe(exception, body, typeInfo.Options);
            return (null, Invalid(field, message));
        }
    }

    private sealed class UnauthorizedProblem(string realm, string title, string detail) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            httpContext.Response.Headers.WWWAuthenticate = $"Bearer realm=\"{realm}\"";
            return Create(StatusCodes.Status401Unauthorized, title, detail).ExecuteAsync(httpContext);
        }
    }
}
