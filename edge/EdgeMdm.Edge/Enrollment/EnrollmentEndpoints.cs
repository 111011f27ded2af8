using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.Staging.Batches;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Web;
using Microsoft.Extensions.Options;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Enrollment;

/// <summary><c>POST /api/v1/enroll</c>: the one device call without a credential; the enrollment token is the proof.</summary>
internal static class EnrollmentEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/enroll", EnrollAsync)
            .WithTags("Device protocol v1")
            .WithName("Enroll")
            .WithSummary("Enroll a device with a site enrollment token; re-enrolling a known serial rotates its secret.")
            .WithDescription(
                "A serial the site knows re-enrolls with the token alone while it is Enrolling, Staging or InRepair. An Active device must also send "
                + "its current secret (optional header 'Authorization: Bearer <deviceSecret>') or have an operator's allowance; a Quarantined one "
                + "needs the allowance; a Retired one never re-enrolls. Otherwise 403, and nothing is written.")
            .AllowAnonymous()
            .RequireRateLimiting(EnrollmentLimitOptions.Policy)
            .Accepts<EnrollRequest>("application/json")
            .Produces<EnrollResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
    }

    private static async Task<IResult> EnrollAsync(
        HttpRequest http, IEnrollmentStore store, IPackageCatalog packages, IBrokerAdvertisement broker, IOptions<EdgeOptions> options, TimeProvider clock)
    {
        var (request, problem) = await JsonBody.ReadAsync(http, DeviceProtocolJson.Default.EnrollRequest, Validate);
        if (problem is not null)
            return problem;

        // Optional: a device that still holds its secret proves with it that a re-enrollment is its own. Not the
        // device authentication scheme: a missing or unknown secret is no reason to refuse an enrollment here.
        var presented = BearerCredential.From(http) is { } secret ? CanonicalHash.Sha256Hex(secret) : null;
        var attempt = new EnrollmentAttempt(
            CanonicalHash.Sha256Hex(request!.EnrollmentToken!),
            new DeviceFacts(request.Serial!.Trim(), request.Model!, request.Manufacturer!, request.OsVersion!, request.AgentVersion!),
            presented,
            request.Code is { } code ? new StagingCode(code, code.SignedText(request.EnrollmentToken!)) : null);
        var outcome = await store.EnrollAsync(attempt, clock.GetUtcNow());
        if (outcome.Value is not { } enrolled)
            return Problems.Refused(outcome.Refusal!);
        return TypedResults.Json(
            new EnrollResponse(enrolled.DeviceId, enrolled.DeviceSecret, options.Value.CheckinIntervalSeconds, enrolled.SiteId, enrolled.Group, enrolled.Reenrolled)
            {
                PackageSigningKey = packages.Current.Key?.PublicKeyPem,
                MqttUrl = broker.UrlFor(http.Host.Host),
            },
            DeviceProtocolJson.Default.EnrollResponse,
            statusCode: StatusCodes.Status201Created);
    }

    private static RequestValidation Validate(EnrollRequest request)
    {
        var v = new RequestValidation();
        v.RequiredText("enrollmentToken", request.EnrollmentToken);
        v.RequiredText("serial", request.Serial);
        v.RequiredText("model", request.Model);
        v.RequiredText("manufacturer", request.Manufacturer);
        v.RequiredText("osVersion", request.OsVersion);
        v.RequiredText("agentVersion", request.AgentVersion);
        if (request.Code is { } code)
        {
            v.RequiredText("code.siteId", code.SiteId);
            v.RequiredText("code.batchId", code.BatchId);
            v.RequiredText("code.tlsPin", code.TlsPin);
            v.RequiredText("code.signature", code.Signature);
            if (code.Urls is not { Count: > 0 })
                v.Add("code.urls", "must name at least one URL");
        }
        return v;
    }
}

public static class EnrollmentRegistration
{
    public static IServiceCollection AddEnrollment(this IServiceCollection services)
    {
        services.AddSingletonServing<EnrollmentTokens>(typeof(ITokenStore), typeof(Sync.IFeedHandler));
        services.AddSingleton<IEnrollmentStore, Enroller>();
        services.AddMetrics();
        services.AddSingleton<EnrollmentTelemetry>();
        services.AddSingleton<EnrollmentGuessingAlarm>();
        services.AddHostedService(sp => sp.GetRequiredService<EnrollmentGuessingAlarm>());
        services.AddSingleton<IValidateOptions<EnrollmentLimitOptions>, EnrollmentLimitOptions.AlarmValidator>();
        services.AddPerSecondLimit<EnrollmentLimitOptions>(
            EnrollmentLimitOptions.Policy,
            nameof(EnrollmentLimitOptions.EnrollmentsPerSecondPerAddress),
            options => options.EnrollmentsPerSecondPerAddress,
            RateLimits.RemoteAddress,
            burstSeconds: 20);
        return services.AddEndpoints(EnrollmentEndpoints.Map);
    }
}
