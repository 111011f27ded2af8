using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Staging;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Web;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Staging.Plans;

/// <summary>
/// <c>GET /api/v1/staging/plan</c>: the plan of the calling device's group, secrets in clear (the device needs the
/// Wi-Fi key to join). Only an enrolled device of that group gets it (the device's own group is the only one asked
/// about); a retired or quarantined device is refused, a group without a plan is 404.
/// </summary>
internal static class StagingPlanEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1").WithTags("Device protocol v1").RequireAuthorization(DeviceAuthentication.Policy)
            .MapGet("/staging/plan", Plan)
            .WithName("GetStagingPlan")
            .WithSummary("The staging plan of the device's group, with its secrets: only for an enrolled device of that group.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static IResult Plan(HttpContext http, IDeviceQueries devices, IStagingPlans plans)
    {
        if (devices.BySecret(http.User.SecretHash()) is not { } device)
            return Problems.Refused(DeviceRefusals.UnknownSecret);
        if (!DeviceLifecycle.MayCheckIn(device.State))
            return Problems.Refused(DeviceRefusals.Retired(device));
        if (!DeviceAccess.MayDownloadPackages(device.State))
            return Problems.Refused(DeviceRefusals.Quarantined(device, "receives no staging plan"));
        if (plans.PlanOfGroup(device.Group) is not { } plan)
        {
            var named = plans.PlanNameOfGroup(device.Group);
            return ProblemResults.Create(StatusCodes.Status404NotFound, "No staging plan", named is null
                ? $"group '{device.Group}' has no staging plan"
                : $"group '{device.Group}' names staging plan '{named}', which this site does not hold yet");
        }

        http.Response.Headers.CacheControl = "no-store";
        return Results.Text(StagingPlanJson.SerializeClear(plan), "application/json", System.Text.Encoding.UTF8);
    }
}
