using EdgeMdm.Edge.SiteUsers;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Batteries;

/// <summary><c>GET /api/v1/readiness</c>, <c>/api/v1/missing</c>, <c>/api/v1/batteries</c>: the same JSON as the commands' <c>--json</c>, for the supervisor page.</summary>
internal static class FloorEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var floor = app.MapGroup("/api/v1").WithTags("Floor").RequireAuthorization(SiteOperatorAuthentication.Policy);

        floor.MapGet("/readiness", (FloorReports reports) => reports.NextReadiness() is { } figure
                ? TypedResults.Json(figure, FloorJson.Default.ReadinessFigure)
                : NoShifts())
            .WithName("GetReadiness")
            .WithSummary("The next shift's readiness: devices charged and compliant, spares against pool minimums, predicted shortfall.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        floor.MapGet("/missing", (FloorReports reports) => reports.LastMissing() is { } view
                ? TypedResults.Json(view, FloorJson.Default.MissingView)
                : NoShifts())
            .WithName("GetMissingDevices")
            .WithSummary("Devices not docked after the last shift that ended, as recorded at its due time or computed now.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        floor.MapGet("/batteries", (FloorReports reports, bool? replace) => TypedResults.Json(reports.Batteries(replace == true), FloorJson.Default.BatteriesReport))
            .WithName("GetBatteries")
            .WithSummary("Every battery: health, cycles, trend, time to full, predicted runtime, replacement flag (?replace=true: flagged only).")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
    }

    private static IResult NoShifts() =>
        ProblemResults.Create(StatusCodes.Status404NotFound, "No shifts", "no shifts are configured at this site (Edge:Shifts:Shifts)");
}
