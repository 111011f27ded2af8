using System.Globalization;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Edge.Packages;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace EdgeMdm.Edge.Staging.Batches;

/// <summary>
/// <c>GET</c>/<c>HEAD /api/v1/staging/agent-package/{sha256}</c>: the agent app for a device that is being provisioned
/// from a staging code and so has no device credential yet (Android downloads the device-admin package before anything
/// of ours runs). Anonymous, so it serves the configured agent package (<c>Edge:Staging:AgentPackage</c>) and nothing
/// else: any other sha256, even one of a package the site caches, is 404. The bytes come from the site's package cache.
/// </summary>
internal static class AgentPackageEndpoint
{
    private const string ContentType = "application/vnd.android.package-archive";

    /// <summary>What a provisioning device is told to wait while the fetcher brings the package down.</summary>
    private const int RetryAfterSeconds = 30;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/v1/staging/agent-package/{sha256}", [HttpMethods.Get, HttpMethods.Head], DownloadAsync)
            .WithTags("Staging")
            .WithName("DownloadAgentPackage")
            .WithSummary("The agent app (the device-admin package of a staging code), without a device credential; no other package.")
            .AllowAnonymous()
            .Produces(StatusCodes.Status200OK, contentType: ContentType)
            .Produces(StatusCodes.Status206PartialContent, contentType: ContentType)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> DownloadAsync(string sha256, HttpContext http, IPackageCatalog packages, BlobCache cache, IOptions<StagingBatchOptions> options)
    {
        var agentName = options.Value.AgentPackage;
        var agent = PackageManifest.IsSha256Hex(sha256) && packages.Current.Verified.Values.FirstOrDefault(p =>
            string.Equals(p.Manifest.Sha256, sha256, StringComparison.Ordinal) && string.Equals(p.Manifest.PackageName, agentName, StringComparison.Ordinal)) is { } found
            ? found
            : null;
        if (agent is null)
            return ProblemResults.Create(StatusCodes.Status404NotFound, "Not the agent package", $"this site serves only {agentName} here, and has no version of it with sha256 {sha256}");

        if (await cache.OpenForServingAsync(agent, http.RequestAborted) is not { } blob)
        {
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return ProblemResults.Create(StatusCodes.Status503ServiceUnavailable, "Agent package not cached yet",
                $"the site has not cached {agentName} {agent.Manifest.VersionCode} yet; retry after {RetryAfterSeconds} s");
        }

        return TypedResults.PhysicalFile(
            blob.Path, ContentType, lastModified: blob.LastModified, entityTag: new EntityTagHeaderValue($"\"{sha256}\""), enableRangeProcessing: true);
    }
}
