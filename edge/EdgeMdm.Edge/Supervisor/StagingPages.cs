using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Staging.Batches;
using EdgeMdm.Edge.Staging.Progress;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Supervisor.Pages;
using Microsoft.AspNetCore.Http.HttpResults;

using EdgeMdm.ServiceDefaults.WebPages;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>One device of a batch with its staging steps as last reported.</summary>
public sealed record StagedDevice(string DeviceId, string Serial, int? Slot, string State, IReadOnlyList<StagingStepRow> Steps);

/// <summary>A batch and its devices' progress.</summary>
public sealed record BatchPageModel(StagingBatch Batch, IReadOnlyList<StagedDevice> Devices);

/// <summary>Staging (the batches, each batch's per-step progress, its printable QR sheet) and the site's rollouts.</summary>
internal static class StagingPages
{
    /// <summary>The sheet is the batch's own HTML file, with its print styles inline and its codes as inline SVG.</summary>
    private const string SheetPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'";

    public static void Map(IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("/staging").RequireAuthorization(SupervisorAccess.View);
        pages.MapGet("", (HttpContext http, IStagingBatches batches) =>
                new RazorComponentResult<StagingPage>(new Dictionary<string, object?>(StringComparer.Ordinal) { ["Batches"] = batches.List(), ["User"] = http.User }))
            .AddEndpointFilter<PageHeaders>();
        pages.MapGet("/batches/{id}", Batch).AddEndpointFilter<PageHeaders>();
        pages.MapGet("/batches/{id}/sheet", Sheet);
        app.MapGet("/rollouts", (HttpContext http, Rollouts.ISiteRollouts rollouts) =>
                new RazorComponentResult<RolloutsPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["Rollouts"] = rollouts.Tracker.States.Select(Rollouts.RolloutView.Of).ToList(), ["User"] = http.User,
                }))
            .RequireAuthorization(SupervisorAccess.View)
            .AddEndpointFilter<PageHeaders>();
    }

    private static IResult Batch(string id, HttpContext http, IStagingBatches batches, IDeviceQueries devices, IStagingProgressQueries progress)
    {
        if (batches.Find(id) is not { } batch)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown batch", detail: $"no staging batch {id} at this site");
        var members = batches.MembersOf(batch.Id);
        var steps = progress.Steps([.. members.Select(m => m.DeviceId)]).ToLookup(s => s.DeviceId, StringComparer.Ordinal);
        var staged = members
            .Select(m => devices.Device(m.DeviceId) is { } d
                ? new StagedDevice(m.DeviceId, d.Device.Serial, m.Slot, d.Device.State.ToString(), [.. steps[m.DeviceId].OrderBy(s => s.StepIndex)])
                : new StagedDevice(m.DeviceId, m.DeviceId, m.Slot, "unknown", []))
            .OrderBy(d => d.Slot)
            .ToList();
        return new RazorComponentResult<BatchPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Model"] = new BatchPageModel(batch, staged), ["User"] = http.User,
        });
    }

    private static IResult Sheet(string id, HttpContext http, IStagingBatches batches, EdgeStorage storage)
    {
        if (batches.Find(id) is not { } batch)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown batch", detail: $"no staging batch {id} at this site");
        var sheet = Path.Combine(BatchSheet.DirectoryOf(storage.DataDirectory, batch.Id), BatchSheet.SheetFile);
        if (!File.Exists(sheet))
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No sheet", detail: $"batch {batch.Id} has no printable sheet on this appliance");
        http.Response.Headers.ContentSecurityPolicy = SheetPolicy;
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.File(sheet, "text/html; charset=utf-8");
    }
}
