namespace EdgeMdm.Cloud.Api;

/// <summary>RFC 9457 problem details for every refusal the REST API gives.</summary>
internal static class Problems
{
    public static IResult Create(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    public static IResult NotFound(string detail) => Create(StatusCodes.Status404NotFound, "Not found", detail);

    public static IResult Conflict(string detail) => Create(StatusCodes.Status409Conflict, "Conflict", detail);

    public static IResult Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    public static IResult Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "the request has invalid fields: " + string.Join(", ", errors.Keys), title: "Invalid request");

    /// <summary>401 with the WWW-Authenticate challenge RFC 9110 requires beside the problem body.</summary>
    public static IResult Unauthorized(string detail) => new UnauthorizedProblem(detail);

    private sealed class UnauthorizedProblem(string detail) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.WWWAuthenticate = "Bearer realm=\"edgemdm-cloud\"";
            return Create(StatusCodes.Status401Unauthorized, "Unauthorized", detail).ExecuteAsync(httpContext);
        }
    }
}
