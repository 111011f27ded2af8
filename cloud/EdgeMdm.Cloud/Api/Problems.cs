using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Api;

/// <summary>The REST API's refusals, in the servers' one problem shape (<see cref="ProblemResults"/>).</summary>
internal static class Problems
{
    public static IResult NotFound(string detail) => ProblemResults.Create(StatusCodes.Status404NotFound, "Not found", detail);

    public static IResult Conflict(string detail) => ProblemResults.Create(StatusCodes.Status409Conflict, "Conflict", detail);

    public static IResult Unauthorized(string detail) => ProblemResults.Unauthorized("edgemdm-cloud", "Unauthorized", detail);
}
