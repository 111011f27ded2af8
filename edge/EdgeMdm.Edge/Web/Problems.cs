using EdgeMdm.Domain.Outcomes;

namespace EdgeMdm.Edge.Web;

/// <summary>RFC 9457 problem details for every refusal the device API gives.</summary>
internal static class Problems
{
    public static IResult Create(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    public static IResult Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    public static IResult Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "the request has invalid fields: " + string.Join(", ", errors.Keys), title: "Invalid request");

    public static IResult Refused(Refusal refusal) => refusal.Kind switch
    {
        RefusalKind.Unauthorized => Unauthorized(refusal.Title, refusal.Detail),
        RefusalKind.Forbidden => Create(StatusCodes.Status403Forbidden, refusal.Title, refusal.Detail),
        RefusalKind.NotFound => Create(StatusCodes.Status404NotFound, refusal.Title, refusal.Detail),
        RefusalKind.Conflict => Create(StatusCodes.Status409Conflict, refusal.Title, refusal.Detail),
        _ => throw new ArgumentOutOfRangeException(nameof(refusal), refusal.Kind, "unknown refusal kind"),
    };

    public static IResult Unauthorized(string title, string detail) => new UnauthorizedProblem(title, detail);

    /// <summary>401 with the WWW-Authenticate challenge RFC 9110 requires beside the problem body.</summary>
    private sealed class UnauthorizedProblem(string title, string detail) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.WWWAuthenticate = "Bearer realm=\"edgemdm-device\"";
            return Create(StatusCodes.Status401Unauthorized, title, detail).ExecuteAsync(httpContext);
        }
    }
}
