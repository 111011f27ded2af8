using System.Net;
using System.Net.Http.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Staging.Progress;
using EdgeMdm.Edge.Sync;

namespace EdgeMdm.Edge.Tests;

/// <summary>Per-step progress at check-in: stored, sent upstream once per change, and gating the move to Active.</summary>
public sealed class StagingProgressTests
{
    private static readonly string[] StepIds = ["enroll", "wifi", "settings", "verify"];

    private static StagingProgress Progress(params (string Step, string State, int Attempts, string? Error)[] steps) => new()
    {
        Plan = "scanner-standard",
        PlanHash = StagingPlanTests.Plan().ContentHash(),
        Steps = steps.Select(s => new StagingStepReport
        {
            StepId = s.Step, State = s.State, Attempts = s.Attempts, Error = s.Error,
            StartedAt = new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero),
            FinishedAt = s.State is "succeeded" or "failed" ? new DateTimeOffset(2026, 11, 24, 8, 0, 5, TimeSpan.Zero) : null,
        }).ToList(),
    };

    /// <summary>A check-in that reports the device's declarations carried out (zero drift) and <paramref name="progress"/>.</summary>
    private static async Task<HttpResponseMessage> CheckInAsync(EdgeServer server, string secret, StagingProgress progress)
    {
        var declarations = await server.DeclarationsAsync(secret);
        var status = CheckinTests.CompliantStatus(declarations) with { Staging = progress };
        return await server.CheckinAsync(secret, new CheckinRequest { DeclarationsToken = declarations.Token, Status = status });
    }

    private static List<SiteChange> StepEvents(IReadOnlyList<SiteChange> outbox) =>
        outbox.Where(c => c.ChangeCase == SiteChange.ChangeOneofCase.StagingStepReported).ToList();

    [Fact]
    public async Task A_device_with_a_plan_becomes_active_only_when_every_step_succeeded_and_each_change_goes_upstream_once()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        await StagingPlanTests.FeedPlanAsync(server, StagingPlanTests.Plan());
        var device = await server.EnrollAsync("SN-1");

        // Act: compliant, but wifi failed (and the old-style counters say done: they no longer count for a plan)
        using var failed = await CheckInAsync(server, device.DeviceSecret, Progress(("enroll", "succeeded", 1, null), ("wifi", "failed", 3, "network dc-floor not found")) with { CompletedSteps = 4, TotalSteps = 4 });
        var stateAfterFailure = server.Get<IDeviceQueries>().Find(device.DeviceId)!.State;
        using var repeated = await CheckInAsync(server, device.DeviceSecret, Progress(("enroll", "succeeded", 1, null), ("wifi", "failed", 3, "network dc-floor not found")));
        using var done = await CheckInAsync(server, device.DeviceSecret, Progress(StepIds.Select(s => (s, "succeeded", string.Equals(s, "wifi", StringComparison.Ordinal) ? 4 : 1, (string?)null)).ToArray()));
        var outbox = await server.Get<IOutboxStore>().TakeBatchAsync(1000);
        var rows = server.Get<IStagingProgressQueries>().Steps();

        // Assert
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (failed.StatusCode, repeated.StatusCode, done.StatusCode));
        Assert.Equal(DeviceState.Staging, stateAfterFailure);
        var detail = server.Get<IDeviceQueries>().Device(device.DeviceId)!;
        Assert.Equal(DeviceState.Active, detail.Device.State);
        Assert.Equal(StepIds, rows.Select(r => r.StepId));
        Assert.All(rows, r => Assert.Equal("succeeded", r.State));
        var events = StepEvents(outbox).Select(c => (c.StagingStepReported.StepId, c.StagingStepReported.State, (int)c.StagingStepReported.Attempts)).ToList();
        Assert.Equal([("enroll", "succeeded", 1), ("wifi", "failed", 3), ("wifi", "succeeded", 4), ("settings", "succeeded", 1), ("verify", "succeeded", 1)], events);
        var wifiFailed = StepEvents(outbox)[1].StagingStepReported;
        Assert.Equal(("network dc-floor not found", "wifi", "scanner-standard"), (wifiFailed.Error, wifiFailed.Kind, wifiFailed.Plan));
    }

    [Fact]
    public async Task A_step_the_plan_does_not_have_is_422_naming_it_and_nothing_is_written()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        await StagingPlanTests.FeedPlanAsync(server, StagingPlanTests.Plan());
        var device = await server.EnrollAsync("SN-1");
        var depth = server.Get<IOutboxStore>().State().Depth;
        var checkins = server.Get<IDeviceQueries>().Find(device.DeviceId)!.CheckinCount;

        // Act
        using var response = await CheckInAsync(server, device.DeviceSecret, Progress(("enroll", "succeeded", 1, null), ("teleport", "running", 1, null)));

        // Assert
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonNode>();
        Assert.Contains("step 'teleport' is not in staging plan 'scanner-standard'", (string)problem!["detail"]!, StringComparison.Ordinal);
        Assert.Equal(depth, server.Get<IOutboxStore>().State().Depth);
        Assert.Equal(checkins, server.Get<IDeviceQueries>().Find(device.DeviceId)!.CheckinCount);
        Assert.Empty(server.Get<IStagingProgressQueries>().Steps());
    }

    [Fact]
    public async Task A_group_without_a_plan_keeps_the_old_completed_steps_path()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");

        // Act
        await CheckinTests.CheckInCompliantAsync(server, device.DeviceSecret);

        // Assert
        Assert.Equal(DeviceState.Active, server.Get<IDeviceQueries>().Find(device.DeviceId)!.State);
    }
}

/// <summary>What <c>edgemdm-edge staging status</c> prints, judged from real stored progress.</summary>
public sealed class StagingStatusTests
{
    [Fact]
    public async Task Status_says_done_in_progress_and_stuck_at_a_step_with_the_reason_and_a_device_filter_narrows_it()
    {
        // Arrange: three devices of the plan's group: one through, one stuck at wifi, one at settings
        await using var server = await EdgeServer.StartAsync();
        await StagingPlanTests.FeedPlanAsync(server, StagingPlanTests.Plan());
        var done = await server.EnrollAsync("SN-1");
        var stuck = await server.EnrollAsync("SN-2");
        var busy = await server.EnrollAsync("SN-3");
        var at = new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);
        StagingStepReport Step(string id, string state, int seconds, string? error = null) =>
            new() { StepId = id, State = state, Attempts = 1, Error = error, StartedAt = at, FinishedAt = state is "running" ? null : at.AddSeconds(seconds) };
        async Task ReportAsync(string secret, params StagingStepReport[] steps)
        {
            var declarations = await server.DeclarationsAsync(secret);
            var status = CheckinTests.CompliantStatus(declarations) with { Staging = new StagingProgress { Plan = "scanner-standard", Steps = steps } };
            using var response = await server.CheckinAsync(secret, new CheckinRequest { DeclarationsToken = declarations.Token, Status = status });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await ReportAsync(done.DeviceSecret, Step("enroll", "succeeded", 1), Step("wifi", "succeeded", 5), Step("settings", "succeeded", 6), Step("verify", "succeeded", 9));
        await ReportAsync(stuck.DeviceSecret, Step("enroll", "succeeded", 1), Step("wifi", "failed", 8, "network dc-floor not found"));
        await ReportAsync(busy.DeviceSecret, Step("enroll", "succeeded", 1), Step("wifi", "succeeded", 4), Step("settings", "running", 0));
        var devices = server.Get<IDeviceQueries>().NotRetired();
        var planSteps = new Dictionary<string, int>(StringComparer.Ordinal) { ["scanner-standard"] = 4 };

        // Act
        var all = StagingStatus.Of(devices, server.Get<IStagingProgressQueries>().Steps(), planSteps, at.AddMinutes(1));
        var batch = StagingStatus.Of(devices.Where(d => string.Equals(d.Id, stuck.DeviceId, StringComparison.Ordinal)), server.Get<IStagingProgressQueries>().Steps([stuck.DeviceId]), planSteps, at.AddMinutes(1));

        // Assert
        Assert.Equal((1, 1, 1), (all.Done, all.InProgress, all.Stuck));
        var bySerial = all.Devices.ToDictionary(d => d.Serial, StringComparer.Ordinal);
        Assert.Equal(("done", (string?)null, 4, TimeSpan.FromSeconds(9)), (bySerial["SN-1"].Outcome, bySerial["SN-1"].CurrentStep, bySerial["SN-1"].StepsDone, bySerial["SN-1"].Elapsed));
        Assert.Equal(("stuck", "wifi", "network dc-floor not found"), (bySerial["SN-2"].Outcome, bySerial["SN-2"].CurrentStep, bySerial["SN-2"].Reason));
        Assert.Equal(("in progress", "settings", 2, 4), (bySerial["SN-3"].Outcome, bySerial["SN-3"].CurrentStep, bySerial["SN-3"].StepsDone, bySerial["SN-3"].StepsTotal));
        Assert.Equal(TimeSpan.FromSeconds(5), bySerial["SN-1"].Steps[1].Duration);
        Assert.Equal(TimeSpan.FromMinutes(1), all.Elapsed);
        Assert.Equal(stuck.DeviceId, Assert.Single(batch.Devices).DeviceId);
        Assert.Equal(DeviceState.Active, server.Get<IDeviceQueries>().Find(done.DeviceId)!.State);
    }
}
