using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Api;

/// <summary>The REST API's refusals, in the servers' one problem shape (<see cref="ProblemResults"/>).</summary>
internal static class Problems
{
    public static IResult NotFound(string detail) => ProblemResults.Create(StatusCodes.Status404NotFound, "Not found", detail);

    /// <summary>The answer for a site the caller's tenant does not have (or that went while the call ran).</summary>
    public static IResult NoSite(string siteId) => NotFound($"no site '{siteId}'");

    public static IResult Conflict(string detail) => ProblemResults.Create(StatusCodes.Status409Conflict, "Conflict", detail);

    public static IResult Unauthorized(string detail) => ProblemResults.Unauthorized("edgemdm-cloud", "Unauthorized", detail);
}
