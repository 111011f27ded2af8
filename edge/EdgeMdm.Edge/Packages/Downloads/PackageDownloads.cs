using System.Globalization;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Web;
using EdgeMdm.ServiceDefaults;
using Microsoft.Net.Http.Headers;

namespace EdgeMdm.Edge.Packages;

/// <summary>
/// <c>GET</c>/<c>HEAD /api/v1/packages/{sha256}</c>: a device downloads a package its declarations name, from the
/// site's cache. In-house apps are confidential, so the device credential is required exactly as for a check-in,
/// and a package the device is not offered is refused even to an enrolled device. Range, If-Range,
/// If-None-Match and HEAD are ASP.NET Core's own file handling, streaming from disk whatever the file's size;
/// the bytes themselves are copied by <see cref="DirectFileBody"/>.
/// </summary>
internal static class PackageDownloads
{
    /// <summary>What a device is told to wait when the package is named but the fetcher has not cached it yet.</summary>
    public const int RetryAfterSeconds = 30;

    private const string ContentType = "application/octet-stream";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/v1/packages/{sha256}", [HttpMethods.Get, HttpMethods.Head], DownloadAsync)
            .WithTags("Device protocol v1")
            .WithName("DownloadPackage")
            .WithSummary("A package blob the device's declarations name, from the site's cache; Range, If-Range and If-None-Match supported.")
            .RequireAuthorization(DeviceAuthentication.Policy)
            .Produces(StatusCodes.Status200OK, contentType: ContentType)
            .Produces(StatusCodes.Status206PartialContent, contentType: ContentType)
            .Produces(StatusCodes.Status304NotModified)
            .Produces(StatusCodes.Status416RangeNotSatisfiable)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> DownloadAsync(
        string sha256, HttpContext http, IDeviceDeclarations devices, IPackageCatalog packages, BlobCache cache, CopierThreads copier, DownloadCounters counters)
    {
        var declarations = devices.Declarations(http.User.SecretHash());
        if (declarations.Value is not { } document)
            return Problems.Refused(declarations.Refusal!);

        // Checked before any lookup: a malformed name is simply not a package of this site.
        if (!PackageManifest.IsSha256Hex(sha256) || packages.Current.BySha.GetValueOrDefault(sha256) is not { } package)
            return ProblemResults.Create(StatusCodes.Status404NotFound, "Unknown package", $"this site has no package {sha256}");
        if (!document.Apps.Any(app => string.Equals(app.Package?.Sha256, sha256, StringComparison.Ordinal)))
        {
            return ProblemResults.Create(StatusCodes.Status403Forbidden, "Package not declared for this device",
                $"the declarations of group {document.Group} do not name package {sha256} ({package.Manifest.PackageName} {package.Manifest.VersionCode})");
        }

        if (await cache.OpenForServingAsync(package, http.RequestAborted) is not { } blob)
        {
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return ProblemResults.Create(StatusCodes.Status503ServiceUnavailable, "Package not cached yet",
                $"the site is still fetching {package.Manifest.PackageName} {package.Manifest.VersionCode} from the hub; retry after {RetryAfterSeconds} s");
        }

        http.Response.Headers.CacheControl = "private, no-cache";
        // RFC 9110 §14.2: a range in a unit the server does not support is ignored (ASP.NET Core would take "items=0-9"
        // for bytes 0-9).
        if (http.Request.GetTypedHeaders().Range is { } range && !string.Equals(range.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase))
            http.Request.Headers.Remove(HeaderNames.Range);
        DirectFileBody.Use(http, copier, counters);
        return TypedResults.PhysicalFile(
            blob.Path, ContentType, lastModified: blob.LastModified, entityTag: new EntityTagHeaderValue($"\"{sha256}\""), enableRangeProcessing: true);
    }
}
