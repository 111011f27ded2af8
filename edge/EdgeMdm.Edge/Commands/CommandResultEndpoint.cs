using EdgeMdm.Contracts.Device;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Web;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Commands;

/// <summary><c>POST /api/v1/commands/{id}/result</c>: a device reports how a command addressed to it ended.</summary>
internal static class CommandResultEndpoint
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/commands/{id}/result", RecordAsync)
            .WithTags("Device protocol v1")
            .WithName("ReportCommandResult")
            .WithSummary("Report the outcome of a command addressed to this device.")
            .RequireAuthorization(DeviceAuthentication.Policy)
            .Accepts<CommandResultRequest>("application/json")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> RecordAsync(string id, HttpRequest http, IDeviceCommands commands, TimeProvider clock)
    {
        var (request, problem) = await JsonBody.ReadAsync(http, DeviceProtocolJson.Default.CommandResultRequest, Validate);
        if (problem is not null)
            return problem;

        var report = new CommandOutcomeReport(string.Equals(request!.Status, "succeeded", StringComparison.Ordinal), request.Message, request.Timestamp);
        var outcome = await commands.RecordResultAsync(http.HttpContext.User.SecretHash(), id, report, clock.GetUtcNow());
        return outcome.Value is not null ? TypedResults.NoContent() : Problems.Refused(outcome.Refusal!);
    }

    private static RequestValidation Validate(CommandResultRequest request)
    {
        var v = new RequestValidation();
        if (request.Status is null)
            v.Add("status", "is required");
        else if (request.Status is not ("succeeded" or "failed"))
            v.Add("status", "must be \"succeeded\" or \"failed\"");
        if (request.Message is { Length: > 4096 })
            v.Add("message", "may be at most 4096 characters");
        return v;
    }
}

public static class CommandRegistration
{
    public static IServiceCollection AddCommands(this IServiceCollection services) =>
        services.AddSingletonServing<CommandStore>(typeof(ICommandStore), typeof(ICommandEnqueuer), typeof(IDeviceCommands), typeof(Sync.IFeedHandler))
            .AddSingleton<Sync.ISiteSnapshot, CommandSnapshot>()
            .AddEndpoints(CommandResultEndpoint.Map);
}
