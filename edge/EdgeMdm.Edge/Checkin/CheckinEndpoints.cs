using EdgeMdm.Contracts.Device;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Web;
using Microsoft.Net.Http.Headers;

namespace EdgeMdm.Edge.Checkin;

/// <summary>
/// <c>POST /api/v1/checkin</c> and <c>GET /api/v1/declarations</c>. Thin on purpose: decode, validate, call the
/// store, map the outcome. Every answer comes from local state, so devices are served whether or not the uplink is up.
/// </summary>
internal static class CheckinEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/api/v1").WithTags("Device protocol v1").RequireAuthorization(DeviceAuthentication.Policy);

        v1.MapPost("/checkin", CheckinAsync)
            .WithName("Checkin")
            .WithSummary("Report changed status items; receive the declarations token and pending commands.")
            .RequireRateLimiting(CheckinLimitOptions.Policy)
            .Accepts<CheckinRequest>("application/json")
            .Produces<CheckinResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        v1.MapGet("/declarations", DeclarationsAsync)
            .WithName("GetDeclarations")
            .WithSummary("The device's whole desired state, signed by the site as one set with a version; the ETag is its declarations token. A quarantined device gets its group's empty declarations.")
            .Produces<DeclarationsDocument>()
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
    }

    private static async Task<IResult> CheckinAsync(HttpRequest http, ICheckinStore store, CheckinMetrics metrics, TimeProvider clock)
    {
        var (request, problem) = await JsonBody.ReadAsync(http, DeviceProtocolJson.Default.CheckinRequest, CheckinValidation.Of);
        if (problem is not null)
            return problem;

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = await store.CheckinAsync(http.HttpContext.User.SecretHash(), request!.Status, request.DeclarationsToken, clock.GetUtcNow());
        metrics.Record(started, outcome.Value is not null);
        return outcome.Value is { } response
            ? TypedResults.Json(response, DeviceProtocolJson.Default.CheckinResponse)
            : Problems.Refused(outcome.Refusal!);
    }

    private static async Task<IResult> DeclarationsAsync(HttpRequest http, ICheckinStore store, DeclarationVersions versions)
    {
        var outcome = store.DeclarationsOf(http.HttpContext.User.SecretHash());
        if (outcome.Value is not { } declarations)
            return Problems.Refused(outcome.Refusal!);
        var document = declarations.Document;

        var etag = new EntityTagHeaderValue($"\"{document.Token}\"");
        http.HttpContext.Response.Headers.ETag = etag.ToString();
        http.HttpContext.Response.Headers.CacheControl = "private, no-cache";
        var ifNoneMatch = http.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(candidate => candidate.Equals(EntityTagHeaderValue.Any) || candidate.Compare(etag, useStrongComparison: false)))
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        // Signed as this device's set, at its version: only when it is sent, so a 304 costs no trip through the writer.
        var signed = await versions.SignAsync(declarations);
        return TypedResults.Json(signed, DeviceProtocolJson.Default.DeclarationsDocument);
    }
}

/// <summary>Field checks of a check-in; each error is keyed by the JSON path of the field it names.</summary>
internal static class CheckinValidation
{
    public static RequestValidation Of(CheckinRequest request)
    {
        var v = new RequestValidation();
        v.OptionalText("declarationsToken", request.DeclarationsToken);
        if (request.Status is { } status)
            Status(v, status);
        return v;
    }

    private static void Status(RequestValidation v, DeviceStatus status)
    {
        if (status.Apps is { } apps)
        {
            v.List(apps, "status.apps", (app, at) =>
            {
                v.RequiredText(at + ".packageName", app.PackageName);
                if (app.VersionCode is null)
                    v.Add(at + ".versionCode", "is required");
                else if (app.VersionCode < 0)
                    v.Add(at + ".versionCode", "cannot be negative");
                v.OptionalText(at + ".versionName", app.VersionName);
            });
        }

        if (status.Os is { } os)
            v.OptionalText("status.os.version", os.Version);
        if (status.Battery is { } battery)
        {
            v.Percent("status.battery.level", battery.Level);
            v.Percent("status.battery.healthPercent", battery.HealthPercent);
            if (battery.CycleCount < 0)
                v.Add("status.battery.cycleCount", "cannot be negative");
        }

        if (status.Storage is { } storage && (storage.FreeBytes < 0 || storage.TotalBytes < 0 || storage.FreeBytes > storage.TotalBytes))
            v.Add("status.storage", "freeBytes and totalBytes must be positive, free no more than total");
        if (status.Wifi is { } wifi)
            v.OptionalText("status.wifi.ssid", wifi.Ssid);
        if (status.Configurations is { } configurations)
        {
            v.List(configurations, "status.configurations", (c, at) =>
            {
                v.RequiredText(at + ".id", c.Id);
                v.OptionalText(at + ".appliedHash", c.AppliedHash);
            });
        }

        if (status.Certificates is { } certificates)
            v.List(certificates, "status.certificates", (c, at) => v.RequiredText(at + ".name", c.Name));
        if (status.DeclarationsVerification is { } verification)
        {
            v.OptionalText("status.declarationsVerification.refusal", verification.Refusal);
            v.OptionalText("status.declarationsVerification.message", verification.Message);
        }

        if (status.Staging is { } staging && (staging.CompletedSteps < 0 || staging.TotalSteps < 0 || staging.CompletedSteps > staging.TotalSteps))
            v.Add("status.staging", "completedSteps and totalSteps must be positive, completed no more than total");
    }
}
