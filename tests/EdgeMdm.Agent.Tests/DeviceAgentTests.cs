using System.Net;
using System.Text.Json;

namespace EdgeMdm.Agent.Tests;

public sealed class DeviceAgentTests : FakeApplianceTests
{
    private readonly Microsoft.Extensions.Time.Testing.FakeTimeProvider _clock = TestData.Clock();

    [Fact]
    public async Task First_checkin_sends_the_full_status_and_later_ones_only_changes()
    {
        var agent = await EnrollAsync("S1");

        var first = await agent.CheckinAsync();  // also fetches the (empty) declarations: staging 0 of 0
        var second = await agent.CheckinAsync();
        var third = await agent.CheckinAsync();

        Assert.NotNull(first.Sent.Apps);
        Assert.NotNull(first.Sent.Os);
        Assert.True(first.DeclarationsFetched);
        Assert.Equal(new DeviceStatus { Staging = new StagingProgress { CompletedSteps = 0, TotalSteps = 0 } }, second.Sent with { DeclarationsVerification = null });
        Assert.Equal(1, second.Sent.DeclarationsVerification?.HeldVersion);  // the signed set it verified
        Assert.True(third.Sent.IsEmpty());
        Assert.Equal(agent.Device.CurrentStatus().Apps, Appliance.Statuses["dev-S1"].Apps);
        Assert.Equal(TimeSpan.FromSeconds(60), second.NextInterval);
        Assert.True(first.Latency > TimeSpan.Zero);
    }

    [Fact]
    public async Task Failed_checkin_sends_its_changes_again()
    {
        var agent = await EnrollAsync("S1");
        Appliance.FailCheckins = 1;

        var error = await Assert.ThrowsAsync<DeviceApiException>(() => agent.CheckinAsync());
        var retry = await agent.CheckinAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.NotNull(retry.Sent.Apps);
        Assert.NotNull(retry.Sent.Os);
    }

    [Fact]
    public async Task New_declarations_token_fetches_the_document_once_and_installs_converge()
    {
        var agent = await EnrollAsync("S1");
        agent.Device.SetFreeBytes(8L * 1024 * 1024 * 1024);
        agent.Device.DownloadFailureRate = 0;
        await agent.CheckinAsync();
        var fetchesBefore = Appliance.Requests.Count(r => r.Path is "/api/v1/declarations");
        Appliance.Declarations = TestData.FloorDeclarations();

        var changed = await agent.CheckinAsync();
        var unchanged = await agent.CheckinAsync();
        for (var i = 0; i < 20 && agent.Device.PendingSteps.Count > 0; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(30));
            await agent.CheckinAsync();
        }

        Assert.True(changed.DeclarationsFetched);
        Assert.False(unchanged.DeclarationsFetched);
        Assert.Equal(fetchesBefore + 1, Appliance.Requests.Count(r => r.Path is "/api/v1/declarations"));
        var reported = Appliance.Statuses["dev-S1"];
        Assert.Contains(reported.Apps!, a => a is { PackageName: "com.acme.pick", VersionCode: 310 });
        Assert.Equal(new StagingProgress { CompletedSteps = 4, TotalSteps = 4 }, reported.Staging);
        var lastCheckin = JsonSerializer.Deserialize(Appliance.Requests.Last().Body, DeviceProtocolJson.Default.CheckinRequest);
        Assert.Equal(Appliance.Declarations.Token, lastCheckin!.DeclarationsToken);
    }

    [Fact]
    public async Task Redelivered_command_is_carried_out_once_and_its_result_reported_once()
    {
        var agent = await EnrollAsync("S1");
        Appliance.AddCommand("S1", TestData.Command("c1", "ring"));
        Appliance.FailResults = 1;

        var first = await agent.CheckinAsync();   // carried out; reporting the result fails
        _clock.Advance(TimeSpan.FromMinutes(1));
        var second = await agent.CheckinAsync();  // re-delivered: the same result is sent again
        var third = await agent.CheckinAsync();   // no longer pending

        Assert.Equal("result:503", Assert.Single(first.Failures).Kind);
        Assert.Equal(0, first.ResultsReported);
        Assert.Equal(1, second.ResultsReported);
        Assert.Empty(second.Failures);
        Assert.Equal(0, third.ResultsReported);
        var (commandId, result) = Assert.Single(Appliance.Results);
        Assert.Equal("c1", commandId);
        Assert.Equal(TestData.Start, result.Timestamp); // carried out at the first delivery, not again
    }

    [Fact]
    public async Task Result_is_not_sent_again_after_the_appliance_accepted_it()
    {
        var agent = await EnrollAsync("S1");
        var command = TestData.Command("c1", "lock");
        Appliance.AddCommand("S1", command);

        await agent.CheckinAsync();
        Appliance.AddCommand("S1", command); // the appliance re-delivers anyway
        var again = await agent.CheckinAsync();

        Assert.Equal(0, again.ResultsReported);
        Assert.Single(Appliance.Results);
    }

    [Fact]
    public async Task Restart_with_the_held_token_keeps_what_was_installed()
    {
        Appliance.Declarations = TestData.FloorDeclarations();
        var agent = await EnrollAsync("S1");

        var restored = await agent.RestoreAsync(Appliance.Declarations.Token);
        var outcome = await agent.CheckinAsync();

        Assert.True(restored);
        Assert.False(outcome.DeclarationsFetched);
        Assert.Empty(agent.Device.PendingSteps);
        Assert.Equal(4, Appliance.Statuses["dev-S1"].Staging!.CompletedSteps);
    }

    [Fact]
    public async Task Retired_device_checkin_throws_403()
    {
        var agent = await EnrollAsync("S1");
        Appliance.RetiredSecrets["secret-S1"] = true;

        var error = await Assert.ThrowsAsync<DeviceApiException>(() => agent.CheckinAsync());

        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("Device retired", error.Title);
    }

    private async Task<DeviceAgent> EnrollAsync(string serial)
    {
        var device = new VirtualDevice(serial, 1, _clock) { SimulateOutages = false };
        var enrolled = await Api.EnrollAsync(device.CreateEnrollRequest("enroll-token"));
        return new DeviceAgent(Api, device, enrolled.DeviceSecret, new SiteTrust(enrolled.DeviceId, Appliance.Pin));
    }
}
