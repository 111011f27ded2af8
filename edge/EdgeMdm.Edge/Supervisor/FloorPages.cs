using EdgeMdm.Edge.Alerts;
using EdgeMdm.Edge.Batteries;
using EdgeMdm.Edge.Cradles;
using EdgeMdm.Edge.Spares;
using EdgeMdm.Edge.Supervisor.Pages;
using EdgeMdm.ServiceDefaults.WebSignIn;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

using EdgeMdm.ServiceDefaults.WebPages;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>The floor page: cradles and their slots, spare pools, batteries to replace, devices missing after the last shift.</summary>
public sealed record FloorPageModel(
    IReadOnlyList<CradleView> Cradles,
    IReadOnlyList<SparePool> Pools,
    BatteriesReport Batteries,
    MissingView? Missing,
    string? Message,
    string? Error);

/// <summary>A form naming a device or battery serial (pick a spare: light its slot).</summary>
internal sealed class SerialForm
{
    public string? Serial { get; set; }
}

/// <summary>A supervisor's acknowledgement of an alert.</summary>
internal sealed class AlertAckForm
{
    public long? Id { get; set; }

    public string? Note { get; set; }
}

/// <summary>The floor page and the alerts page, with their actions (light a spare's slot, acknowledge an alert).</summary>
internal static class FloorPages
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("").AddEndpointFilter<PageHeaders>();
        pages.MapGet("/floor", (HttpContext http, IServiceProvider services, string? message) => Floor(http, services, StatusCodes.Status200OK, message, null))
            .RequireAuthorization(SupervisorAccess.View);
        pages.MapPost("/floor/pick", PickAsync).RequireAuthorization(SupervisorAccess.Act).AddEndpointFilter<SameOrigin>();
        pages.MapGet("/alerts", (HttpContext http, IAlerts alerts, string? message) => Alerts(http, alerts, StatusCodes.Status200OK, message, null))
            .RequireAuthorization(SupervisorAccess.View);
        pages.MapPost("/alerts/ack", AcknowledgeAsync).RequireAuthorization(SupervisorAccess.Act).AddEndpointFilter<SameOrigin>();
    }

    private static async Task<IResult> PickAsync([FromForm] SerialForm form, HttpContext http, IServiceProvider services)
    {
        var serial = (form.Serial ?? "").Trim();
        if (serial.Length is 0 or > 64)
            return Floor(http, services, StatusCodes.Status400BadRequest, null, "name the spare's serial");
        var slot = await services.GetRequiredService<ICradleFloor>().PickAsync(serial, http.RequestAborted);
        return slot is null
            ? Floor(http, services, StatusCodes.Status409Conflict, null, $"{serial} is in no cradle: nothing to light")
            : Results.Redirect("/floor?message=" + Uri.EscapeDataString($"{serial}: {slot.CradleId} slot {slot.Slot} is lit"));
    }

    private static async Task<IResult> AcknowledgeAsync([FromForm] AlertAckForm form, HttpContext http, IAlerts alerts, TimeProvider clock)
    {
        var note = (form.Note ?? "").Trim();
        if (form.Id is not { } id || note.Length is 0 or > 500)
            return Alerts(http, alerts, StatusCodes.Status400BadRequest, null, "write a note (up to 500 characters) with the acknowledgement");
        var outcome = await alerts.AcknowledgeAsync(id, SupervisorAccess.Actor(http.User), note, clock.GetUtcNow());
        return outcome.Refusal is { } refusal
            ? Alerts(http, alerts, StatusCodes.Status409Conflict, null, refusal.Detail)
            : Results.Redirect("/alerts?message=" + Uri.EscapeDataString("acknowledged: " + outcome.Value!.Message));
    }

    private static RazorComponentResult<FloorPage> Floor(HttpContext http, IServiceProvider services, int status, string? message, string? error)
    {
        var reports = services.GetRequiredService<IFloorReports>();
        var model = new FloorPageModel(
            services.GetRequiredService<ICradleFloor>().Cradles(),
            services.GetRequiredService<ISpareAdmin>().List(),
            reports.Batteries(replaceOnly: true),
            reports.LastMissing(),
            message is { Length: <= 300 } ? message : null,
            error);
        return new RazorComponentResult<FloorPage>(new Dictionary<string, object?>(StringComparer.Ordinal) { ["Model"] = model, ["User"] = http.User })
        {
            StatusCode = status,
        };
    }

    private static RazorComponentResult<AlertsPage> Alerts(HttpContext http, IAlerts alerts, int status, string? message, string? error) =>
        new(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Alerts"] = alerts.Open(), ["User"] = http.User, ["Message"] = message is { Length: <= 300 } ? message : null, ["Error"] = error,
        })
        {
            StatusCode = status,
        };
}
