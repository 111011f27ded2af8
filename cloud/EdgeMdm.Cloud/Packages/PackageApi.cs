using System.Globalization;
using EdgeMdm.Domain.Packages;
using EdgeMdm.ServiceDefaults;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Packages;

/// <summary>
/// The package catalog for central IT: upload a file (stored under its SHA-256, its manifest signed with the
/// hub's key and fed to the tenant's sites), list and show manifests, and the public key sites and agents
/// check them with. Runs behind the API token filter of <see cref="HubApi"/>; everything is per tenant.
/// </summary>
internal static class PackageApi
{
    private const string OctetStream = "application/octet-stream";

    public static RouteGroupBuilder MapPackageApi(this RouteGroupBuilder api)
    {
        api.MapGet("/signing-key", (PackageSigning signing) =>
            TypedResults.Json(new SigningKeyView(signing.Signer.KeyId, signing.Signer.PublicKeyPem), ApiJson.Default.SigningKeyView)).RequireAuthorization(HubAuthorization.Read).NarrowsToSiteScope();
        api.MapPost("/packages", UploadAsync).RequireAuthorization(HubAuthorization.Operate);
        api.MapGet("/packages", async (string? packageName, HttpContext http, IPackageStore packages, CancellationToken ct) =>
            TypedResults.Json(
                (await packages.ListPackagesAsync(HubApi.Tenant(http), packageName, ct)).Select(PackageView.Of).ToList(),
                ApiJson.Default.ListPackageView)).RequireAuthorization(HubAuthorization.Read);
        api.MapGet("/packages/{sha256}", async (string sha256, HttpContext http, IPackageStore packages, CancellationToken ct) =>
            await packages.FindPackageAsync(HubApi.Tenant(http), sha256, ct) is { } package
                ? TypedResults.Json(PackageView.Of(package), ApiJson.Default.PackageView)
                : Problems.NotFound($"no package '{sha256}'")).RequireAuthorization(HubAuthorization.Read);
        return api;
    }

    /// <summary>
    /// POST /api/v1/packages?packageName=N&amp;versionCode=C&amp;versionName=V[&amp;minOs=X] with the file as an
    /// application/octet-stream body: 201 with the signed manifest; 200 with the stored one for the same bytes
    /// again; 409 when the version is published with other bytes (or the bytes as another version); 413 past
    /// <see cref="HubOptions.MaxPackageBytes"/>; 400 naming the query parameter that is wrong.
    /// </summary>
    private static async Task<IResult> UploadAsync(
        HttpContext http, IPackageStore packages, IBlobStore blobs, PackageSigning signing, IOptions<HubOptions> options,
        TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        var request = http.Request;
        if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), OctetStream, StringComparison.OrdinalIgnoreCase))
        {
            return ProblemResults.Create(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"the body must be the package file as {OctetStream}, not '{request.ContentType ?? "(none)"}'");
        }

        var publishedAt = WholeSeconds(time.GetUtcNow());
        var (described, errors) = Describe(request.Query, publishedAt);
        if (errors.Count > 0)
            return ProblemResults.Invalid(errors);
        var maxBytes = options.Value.MaxPackageBytes;
        if (request.ContentLength > maxBytes)
            return TooLarge(maxBytes);

        // Kestrel's limit for every other endpoint is 1 MiB; this one alone takes files up to the package limit.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            bodySize.MaxRequestBodySize = maxBytes;

        StagedBlob staged;
        try
        {
            staged = await blobs.StageAsync(request.Body, maxBytes, ct);
        }
        catch (BlobTooLargeException)
        {
            return TooLarge(maxBytes);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(maxBytes);
        }

        using (staged)
        {
            var manifest = described! with { Sha256 = staged.Digest.Sha256, SizeBytes = staged.Digest.SizeBytes };
            if (manifest.SizeBytes == 0)
                return ProblemResults.Invalid("body", "is empty: the package file must have at least one byte");
            var tenant = HubApi.Tenant(http);

            // Answered before the blob is kept, so a refused upload leaves nothing behind (but for a race with
            // another upload, which the store's own check below still settles).
            if (await packages.FindPackageAsync(tenant, manifest.Sha256, ct) is { } sameBytes)
                return Answer(new PublishOutcome(SameVersion(sameBytes.Manifest, manifest) ? PublishResult.AlreadyPublished : PublishResult.Conflict, sameBytes), manifest);
            if (await packages.FindPackageVersionAsync(tenant, manifest.PackageName, manifest.VersionCode, ct) is { } sameVersion)
                return Answer(new PublishOutcome(PublishResult.Conflict, sameVersion), manifest);

            var signed = signing.Signer.Sign(manifest);
            await blobs.CommitAsync(staged, ct);
            var outcome = await packages.PublishPackageAsync(tenant, signed, signing.Signer.KeyId, ct);
            if (outcome.Result == PublishResult.Created)
            {
                var logger = loggers.CreateLogger(typeof(PackageApi).FullName!);
                PackageLog.PackagePublished(logger, tenant, manifest.PackageName, manifest.VersionCode, manifest.Sha256, manifest.SizeBytes);
                http.Response.Headers.Location = "/api/v1/packages/" + manifest.Sha256;
            }

            return Answer(outcome, manifest);
        }
    }

    /// <summary>The manifest the query describes (its hash and size still to come from the body), or the errors keyed by query parameter.</summary>
    private static (PackageManifest? Manifest, Dictionary<string, string[]> Errors) Describe(IQueryCollection query, DateTimeOffset publishedAt)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? Text(string name) => query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;
        long versionCode = 0;
        if (Text("versionCode") is not { } versionText)
            errors["versionCode"] = ["is required"];
        else if (!long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out versionCode))
            errors["versionCode"] = ["must be a whole positive number"];
        var minOs = string.IsNullOrEmpty(Text("minOs")) ? null : Text("minOs");

        // A placeholder hash and size so that Validate checks what the query says now, before a byte is read.
        var manifest = new PackageManifest(new string('0', 64), Text("packageName") ?? "", versionCode, Text("versionName") ?? "", 1, minOs, publishedAt);
        foreach (var (field, messages) in manifest.Validate())
        {
            var parameter = field switch
            {
                "minOsVersion" => "minOs",
                "versionCode" when errors.ContainsKey("versionCode") => null,
                _ => field,
            };
            if (parameter is not null)
                errors.TryAdd(parameter, messages);
        }

        return (errors.Count == 0 ? manifest : null, errors);
    }

    private static bool SameVersion(PackageManifest stored, PackageManifest uploaded) =>
        string.Equals(stored.PackageName, uploaded.PackageName, StringComparison.Ordinal) && stored.VersionCode == uploaded.VersionCode;

    private static IResult Answer(PublishOutcome outcome, PackageManifest uploaded)
    {
        var stored = outcome.Package.Manifest;
        return outcome.Result switch
        {
            PublishResult.Created => TypedResults.Json(PackageView.Of(outcome.Package), ApiJson.Default.PackageView, statusCode: StatusCodes.Status201Created),
            PublishResult.AlreadyPublished => TypedResults.Json(PackageView.Of(outcome.Package), ApiJson.Default.PackageView),
            _ when string.Equals(stored.Sha256, uploaded.Sha256, StringComparison.Ordinal) => Problems.Conflict(
                $"these bytes are already published as {stored.PackageName} version {Number(stored.VersionCode)}: one file is one version"),
            _ => Problems.Conflict(
                $"{stored.PackageName} version {Number(stored.VersionCode)} is already published with other bytes (sha256 {stored.Sha256}); give the new build a new version code"),
        };
    }

    private static IResult TooLarge(long maxBytes) => ProblemResults.Create(
        StatusCodes.Status413PayloadTooLarge, "Payload too large", $"a package file may be at most {Number(maxBytes)} bytes (Cloud:MaxPackageBytes)");

    private static DateTimeOffset WholeSeconds(DateTimeOffset at) => DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds());

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The key package manifests are signed with: its id (SHA-256 hex of the DER) and SubjectPublicKeyInfo PEM.</summary>
public sealed record SigningKeyView(string KeyId, string PublicKeyPem);

/// <summary>A signed package manifest; <c>MinOsVersion</c> null means any OS, <c>PublishedAt</c> is whole seconds, as signed.</summary>
public sealed record PackageView(
    string Sha256, string PackageName, long VersionCode, string VersionName, long SizeBytes, string? MinOsVersion,
    DateTimeOffset PublishedAt, string Signature, string KeyId)
{
    public static PackageView Of(PublishedPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        var m = package.Manifest;
        return new(m.Sha256, m.PackageName, m.VersionCode, m.VersionName, m.SizeBytes, m.MinOsVersion, m.PublishedAt, package.Signature, package.KeyId);
    }
}
