using EdgeMdm.Edge.SiteUsers;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Edge.Cradles;
using EdgeMdm.Edge.Web;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Spares;

/// <summary><c>POST /api/v1/swaps</c>.</summary>
public sealed record SwapStartRequest(string? DeviceId, string? Reason, bool? Wipe);

/// <summary><c>POST /api/v1/swaps/{id}/confirm</c>: the serial scanned off the spare taken from the cradle.</summary>
public sealed record SwapConfirmRequest(string? SpareSerial);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(SwapStartRequest))]
[JsonSerializable(typeof(SwapConfirmRequest))]
[JsonSerializable(typeof(SwapView))]
[JsonSerializable(typeof(List<SwapView>))]
[JsonSerializable(typeof(List<SparePool>))]
internal sealed partial class SparesJson : JsonSerializerContext;

/// <summary>
/// The floor API (site users and local operator commands, <see cref="SiteOperatorAuthentication"/>). The serving process
/// is the one that holds the cradles: a start lights the proposed spare's slot, a confirm or cancel turns it off after
/// the commit.
/// </summary>
internal static class SwapEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Spares and swaps").RequireAuthorization(SiteOperatorAuthentication.Policy);
        api.MapGet("/spares", (ISpareAdmin spares) => Results.Json(spares.List().ToList(), SparesJson.Default.ListSparePool));
        api.MapGet("/swaps", (ISwaps swaps) => Results.Json(swaps.List().ToList(), SparesJson.Default.ListSwapView));
        api.MapGet("/swaps/{id}", (string id, ISwaps swaps) =>
            swaps.Find(id) is { } swap ? Results.Json(swap, SparesJson.Default.SwapView) : ProblemResults.Create(StatusCodes.Status404NotFound, "Unknown swap", $"no swap {id} at this site"));
        api.MapPost("/swaps", StartAsync);
        api.MapPost("/swaps/{id}/confirm", ConfirmAsync);
        api.MapPost("/swaps/{id}/cancel", CancelAsync);
    }

    private static async Task<IResult> StartAsync(HttpRequest request, ISwaps swaps, ICradleFloor cradles, TimeProvider time, ClaimsPrincipal user)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, SparesJson.Default.SwapStartRequest, r =>
        {
            var check = new RequestValidation();
            check.RequiredText("deviceId", r.DeviceId);
            check.RequiredText("reason", r.Reason);
            return check;
        });
        if (problem is not null)
            return problem;
        var outcome = await swaps.StartAsync(body!.DeviceId!, body.Reason!, body.Wipe ?? false, Actor(user), time.GetUtcNow());
        if (outcome.Value is not { } swap)
            return Refused(outcome.Refusal!);
        var slot = await cradles.PickAsync(swap.ProposedSerial, request.HttpContext.RequestAborted);
        var lit = slot is null ? swap : swap with { Slot = SlotName(slot), Lit = true };
        return Results.Json(lit, SparesJson.Default.SwapView, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ConfirmAsync(string id, HttpRequest request, ISwaps swaps, ICradleFloor cradles, TimeProvider time, ClaimsPrincipal user)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, SparesJson.Default.SwapConfirmRequest, r =>
        {
            var check = new RequestValidation();
            check.RequiredText("spareSerial", r.SpareSerial);
            return check;
        });
        if (problem is not null)
            return problem;
        var outcome = await swaps.ConfirmAsync(id, body!.SpareSerial!, Actor(user), time.GetUtcNow());
        if (outcome.Value is not { } swap)
            return Refused(outcome.Refusal!);
        await ClearAsync(cradles, swap);
        return Results.Json(swap, SparesJson.Default.SwapView);
    }

    private static async Task<IResult> CancelAsync(string id, ISwaps swaps, ICradleFloor cradles, TimeProvider time, ClaimsPrincipal user)
    {
        var outcome = await swaps.CancelAsync(id, Actor(user), time.GetUtcNow());
        if (outcome.Value is not { } swap)
            return Refused(outcome.Refusal!);
        await ClearAsync(cradles, swap);
        return Results.Json(swap, SparesJson.Default.SwapView);
    }

    /// <summary>Turns off what the proposal lit, and whatever the scanned spare's slot shows; after the commit, never undoing it.</summary>
    internal static async Task ClearAsync(ICradleFloor cradles, SwapView swap)
    {
        await cradles.ClearPickAsync(swap.ProposedSerial, CancellationToken.None);
        if (swap.SpareSerial is { } scanned && !string.Equals(scanned, swap.ProposedSerial, StringComparison.Ordinal))
            await cradles.ClearPickAsync(scanned, CancellationToken.None);
    }

    internal static string SlotName(SlotView slot) => slot.CradleId + "/" + slot.Slot.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Actor(ClaimsPrincipal user) => SiteOperatorAuthentication.Actor(user);

    private static IResult Refused(Refusal refusal) => refusal.Kind switch
    {
        RefusalKind.Conflict => ProblemResults.Create(StatusCodes.Status409Conflict, refusal.Title, refusal.Detail, refusal.Type),
        RefusalKind.Unprocessable => ProblemResults.Create(StatusCodes.Status400BadRequest, refusal.Title, refusal.Detail, refusal.Type),
        _ => Problems.Refused(refusal),
    };
}
