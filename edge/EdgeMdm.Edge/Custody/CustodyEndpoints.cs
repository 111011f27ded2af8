using EdgeMdm.Edge.SiteUsers;
using System.Text.Json.Serialization;
using EdgeMdm.Edge.Web;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Custody;

/// <summary>The body of <c>POST /api/v1/custody</c>.</summary>
public sealed record CustodyRecordBody(string? Subject, bool Battery, string? From, string? To, string? Note, string? Place, string? Erasure);

/// <summary>
/// The custody API for the coming supervisor page, for site users only (<see cref="SiteOperatorAuthentication"/>):
/// <c>POST /api/v1/custody</c> records a hand-off (201 with the event and the lifecycle moves it made), <c>GET
/// /api/v1/devices/{id}/custody</c> shows a device's chain. Refusals are problem details, nothing half-written.
/// </summary>
internal static class CustodyEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var custody = app.MapGroup("/api/v1").WithTags("Site operators v1").RequireAuthorization(SiteOperatorAuthentication.Policy);
        custody.MapPost("/custody", RecordAsync)
            .WithName("RecordCustody")
            .WithSummary("Record a hand-off of a device or battery (chain of custody).")
            .Accepts<CustodyRecordBody>("application/json")
            .Produces<CustodyRecorded>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        custody.MapGet("/devices/{id}/custody", (string id, ICustodyDesk desk) =>
                desk.Show(id) is { Serial: not null } chain
                    ? TypedResults.Json(chain, CustodyJson.Default.CustodyChainView)
                    : ProblemResults.Create(StatusCodes.Status404NotFound, "Unknown device", $"no device {id} at this site"))
            .WithName("DeviceCustody")
            .WithSummary("A device's chain of custody, oldest first.")
            .Produces<CustodyChainView>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> RecordAsync(HttpRequest http, ICustodyDesk desk, TimeProvider clock)
    {
        var (body, problem) = await JsonBody.ReadAsync(http, CustodyJson.Default.CustodyRecordBody, Validate);
        if (problem is not null)
            return problem;
        var request = new CustodyRecordRequest(
            body!.Subject!, body.Battery, body.From!, body.To!, SiteOperatorAuthentication.Actor(http.HttpContext.User), body.Note, body.Place, body.Erasure);
        var outcome = await desk.RecordAsync(request, clock.GetUtcNow());
        return outcome.Value is { } recorded
            ? TypedResults.Json(recorded, CustodyJson.Default.CustodyRecorded, statusCode: StatusCodes.Status201Created)
            : Problems.Refused(outcome.Refusal!);
    }

    private static RequestValidation Validate(CustodyRecordBody body)
    {
        var v = new RequestValidation();
        v.RequiredText("subject", body.Subject);
        v.RequiredText("from", body.From);
        v.RequiredText("to", body.To);
        v.OptionalText("place", body.Place);
        v.OptionalText("erasure", body.Erasure);
        if (body.Note is { Length: > CustodyRequests.MaxNote })
            v.Add("note", $"may be at most {CustodyRequests.MaxNote} characters");
        return v;
    }
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CustodyRecordBody))]
[JsonSerializable(typeof(CustodyRecorded))]
[JsonSerializable(typeof(CustodyChainView))]
internal sealed partial class CustodyJson : JsonSerializerContext;
