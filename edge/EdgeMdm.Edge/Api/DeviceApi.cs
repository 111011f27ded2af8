using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace EdgeMdm.Edge.Api;

/// <summary>
/// Device protocol v1. Thin on purpose: decode, validate, call the store, map the outcome. Every answer
/// comes from local state, so devices are served whether or not the uplink is up.
/// </summary>
internal static class DeviceApi
{
    public static IEndpointRouteBuilder MapDeviceApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/api/v1").WithTags("Device protocol v1");

        v1.MapPost("/enroll", EnrollAsync)
            .WithName("Enroll")
            .WithSummary("Enroll a device with a site enrollment token; re-enrolling a known serial rotates its secret.")
            .Accepts<EnrollRequest>("application/json")
            .Produces<EnrollResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        v1.MapPost("/checkin", CheckinAsync)
            .WithName("Checkin")
            .WithSummary("Report changed status items; receive the declarations token and pending commands.")
            .Accepts<CheckinRequest>("application/json")
            .Produces<CheckinResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        v1.MapGet("/declarations", Declarations)
            .WithName("GetDeclarations")
            .WithSummary("The device's whole desired state; the ETag is its declarations token.")
            .Produces<DeclarationsDocument>()
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        v1.MapPost("/commands/{id}/result", CommandResultAsync)
            .WithName("ReportCommandResult")
            .WithSummary("Report the outcome of a command addressed to this device.")
            .Accepts<CommandResultRequest>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        return app;
    }

    private static async Task<IResult> EnrollAsync(HttpRequest http, IEnrollmentStore store, IPackageCacheStore packages, MqttAdvertisement mqtt, IOptions<EdgeOptions> options, TimeProvider clock)
    {
        var (request, problem) = await JsonBody.ReadAsync(http, DeviceProtocolJson.Default.EnrollRequest, RequestValidation.Of);
        if (problem is not null)
            return problem;

        var attempt = new EnrollmentAttempt(
            CanonicalHash.Sha256Hex(request!.EnrollmentToken!), request.Serial!.Trim(), request.Model!, request.Manufacturer!,
            request.OsVersion!, request.AgentVersion!);
        var outcome = await store.EnrollAsync(attempt, clock.GetUtcNow());
        if (outcome.Value is not { } enrolled)
            return Problems.Refused(outcome.Refusal!);
        return TypedResults.Json(
            new EnrollResponse(enrolled.DeviceId, enrolled.DeviceSecret, options.Value.CheckinIntervalSeconds, enrolled.SiteId, enrolled.Group, enrolled.Reenrolled)
            {
                PackageSigningKey = packages.PackageSigningKey?.PublicKeyPem,
                MqttUrl = mqtt.UrlFor(http.Host.Host),
            },
            DeviceProtocolJson.Default.EnrollResponse,
            statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> CheckinAsync(HttpRequest http, ICheckinStore store, TimeProvider clock)
    {
        if (BearerSecretHash(http) is not { } secretHash)
            return MissingCredential();
        var (request, problem) = await JsonBody.ReadAsync(http, DeviceProtocolJson.Default.CheckinRequest, RequestValidation.Of);
        if (problem is not null)
            return problem;

        var outcome = await store.CheckinAsync(secretHash, request!.Status, request.DeclarationsToken, clock.GetUtcNow());
        return outcome.Value is { } response
            ? TypedResults.Json(response, DeviceProtocolJson.Default.CheckinResponse)
            : Problems.Refused(outcome.Refusal!);
    }

    private static IResult Declarations(HttpRequest http, ICheckinStore store)
    {
        if (BearerSecretHash(http) is not { } secretHash)
            return MissingCredential();
        var outcome = store.Declarations(secretHash);
        if (outcome.Value is not { } document)
            return Problems.Refused(outcome.Refusal!);

        var etag = new EntityTagHeaderValue($"\"{document.Token}\"");
        http.HttpContext.Response.Headers.ETag = etag.ToString();
        http.HttpContext.Response.Headers.CacheControl = "private, no-cache";
        var ifNoneMatch = http.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(candidate => candidate.Equals(EntityTagHeaderValue.Any) || candidate.Compare(etag, useStrongComparison: false)))
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Json(document, DeviceProtocolJson.Default.DeclarationsDocument);
    }

    private static async Task<IResult> CommandResultAsync(string id, HttpRequest http, ICheckinStore store, TimeProvider clock)
    {
        if (BearerSecretHash(http) is not { } secretHash)
            return MissingCredential();
        var (request, problem) = await JsonBody.ReadAsync(http, DeviceProtocolJson.Default.CommandResultRequest, RequestValidation.Of);
        if (problem is not null)
            return problem;

        var report = new CommandOutcomeReport(string.Equals(request!.Status, "succeeded", StringComparison.Ordinal), request.Message, request.Timestamp);
        var outcome = await store.RecordCommandResultAsync(secretHash, id, report, clock.GetUtcNow());
        return outcome.Value is not null ? TypedResults.NoContent() : Problems.Refused(outcome.Refusal!);
    }

    internal static IResult MissingCredential() =>
        Problems.Unauthorized("Device credential required", "send 'Authorization: Bearer <deviceSecret>' as issued at enrollment");

    /// <summary>The SHA-256 of the bearer secret, which is all the store ever sees or keeps.</summary>
    internal static string? BearerSecretHash(HttpRequest http)
    {
        var header = http.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return null;
        var secret = header[scheme.Length..].Trim();
        return secret.Length is 0 or > 256 ? null : CanonicalHash.Sha256Hex(secret);
    }
}
