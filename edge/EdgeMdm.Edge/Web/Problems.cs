using EdgeMdm.Domain.Outcomes;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Web;

/// <summary>The device API's refusals, in the servers' one problem shape (<see cref="ProblemResults"/>).</summary>
internal static class Problems
{
    public static IResult Refused(Refusal refusal) => refusal.Kind switch
    {
        RefusalKind.Unauthorized => Unauthorized(refusal.Title, refusal.Detail),
        RefusalKind.Forbidden => ProblemResults.Create(StatusCodes.Status403Forbidden, refusal.Title, refusal.Detail, refusal.Type),
        RefusalKind.NotFound => ProblemResults.Create(StatusCodes.Status404NotFound, refusal.Title, refusal.Detail),
        RefusalKind.Conflict => ProblemResults.Create(StatusCodes.Status409Conflict, refusal.Title, refusal.Detail),
        RefusalKind.Unprocessable => ProblemResults.Create(StatusCodes.Status422UnprocessableEntity, refusal.Title, refusal.Detail),
        _ => throw new ArgumentOutOfRangeException(nameof(refusal), refusal.Kind, "unknown refusal kind"),
    };

    public static IResult Unauthorized(string title, string detail) => ProblemResults.Unauthorized("edgemdm-device", title, detail);
}
