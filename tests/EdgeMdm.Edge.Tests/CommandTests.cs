namespace EdgeMdm.Edge.Tests;

public sealed class CommandTests
{
    private static Task<HttpResponseMessage> ReportAsync(EdgeServer server, string secret, string commandId, string status, string? message = null) =>
        server.Http.SendAsync(EdgeServer.Authorized(
            HttpMethod.Post, $"/api/v1/commands/{commandId}/result", secret,
            JsonContent.Create(new CommandResultRequest { Status = status, Message = message, Timestamp = server.Clock.GetUtcNow() }, DeviceProtocolJson.Default.CommandResultRequest)));

    [Fact]
    public async Task A_queued_command_is_delivered_until_its_result_arrives()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var now = server.Clock.GetUtcNow();
        var queued = (await server.Get<ICommandStore>().QueueCommandAsync(device.DeviceId, "ring", new Dictionary<string, string>(StringComparer.Ordinal) { ["seconds"] = "10" }, null, "test", now)).Value!;

        var first = await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());
        var again = await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());
        using var result = await ReportAsync(server, device.DeviceSecret, queued.CommandId, "succeeded", "rang for 10 s");
        var after = await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());

        var command = Assert.Single(first.Commands);
        Assert.Equal("ring", command.Type);
        Assert.Equal("10", command.Parameters["seconds"]);
        Assert.Equal(queued.CommandId, Assert.Single(again.Commands).Id);
        Assert.Equal(HttpStatusCode.NoContent, result.StatusCode);
        Assert.Empty(after.Commands);
        var stored = Assert.Single(server.Get<ICommandStore>().ListCommands(device.DeviceId));
        Assert.Equal("succeeded", stored.Status);
        Assert.Equal("rang for 10 s", stored.ResultMessage);
    }

    [Fact]
    public async Task Reporting_the_same_result_twice_is_harmless_but_a_different_one_conflicts()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var queued = await server.QueueCommandAsync(device.DeviceId, "lock");

        using var once = await ReportAsync(server, device.DeviceSecret, queued.CommandId, "failed", "screen busy");
        using var twice = await ReportAsync(server, device.DeviceSecret, queued.CommandId, "failed", "screen busy");

        Assert.Equal(HttpStatusCode.NoContent, once.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, twice.StatusCode);
        await EnrollmentTests.ProblemAsync(await ReportAsync(server, device.DeviceSecret, queued.CommandId, "succeeded"), HttpStatusCode.Conflict);
        Assert.Equal("failed", server.StatusOfOnlyCommand(device.DeviceId));
    }

    [Fact]
    public async Task A_device_cannot_report_on_another_devices_command()
    {
        await using var server = await EdgeServer.StartAsync();
        var owner = await server.EnrollAsync("SN-OWNER");
        var intruder = await server.EnrollAsync("SN-INTRUDER");
        var queued = await server.QueueCommandAsync(owner.DeviceId, "reboot");

        await EnrollmentTests.ProblemAsync(await ReportAsync(server, intruder.DeviceSecret, queued.CommandId, "succeeded"), HttpStatusCode.NotFound);
        await EnrollmentTests.ProblemAsync(await ReportAsync(server, intruder.DeviceSecret, "cmd-unknown", "succeeded"), HttpStatusCode.NotFound);
        await EnrollmentTests.ProblemAsync(await ReportAsync(server, "ds_wrong", queued.CommandId, "succeeded"), HttpStatusCode.Unauthorized);

        var intruderCheckin = await server.CheckinOkAsync(intruder.DeviceSecret, new CheckinRequest());
        Assert.Empty(intruderCheckin.Commands);
        Assert.Equal("queued", server.StatusOfOnlyCommand(owner.DeviceId));
    }

    [Fact]
    public async Task An_expired_command_is_never_delivered_and_is_closed_as_expired()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var now = server.Clock.GetUtcNow();
        await server.QueueCommandAsync(device.DeviceId, "lock", now.AddMinutes(5));
        server.Clock.Advance(TimeSpan.FromMinutes(6));

        var answer = await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());

        Assert.Empty(answer.Commands);
        Assert.Equal("expired", server.StatusOfOnlyCommand(device.DeviceId));
    }

    [Fact]
    public async Task Result_status_must_be_succeeded_or_failed()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var queued = await server.QueueCommandAsync(device.DeviceId, "lock");

        var problem = await EnrollmentTests.ProblemAsync(await ReportAsync(server, device.DeviceSecret, queued.CommandId, "maybe"), HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("status", out _));
        Assert.Equal("queued", server.StatusOfOnlyCommand(device.DeviceId));
    }
}
