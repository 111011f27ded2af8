namespace EdgeMdm.Agent.Tests;

public sealed class VirtualDeviceCommandTests
{
    [Theory]
    [InlineData("lock", "screen locked")]
    [InlineData("ring", "rang for 30 s at full volume")]
    [InlineData("refresh-status", "full status follows with the next check-in")]
    public void Command_is_carried_out_and_succeeds(string type, string message)
    {
        var device = TestData.Device(TestData.Clock());
        device.CommandFailureRate = 0;

        var result = device.Commands.Execute(TestData.Command("c1", type));

        Assert.Equal(new CommandResultRequest { Status = "succeeded", Message = message, Timestamp = TestData.Start }, result);
    }

    [Fact]
    public void The_agent_carries_out_every_type_the_hub_lets_through()
    {
        // The hub refuses a type outside DeviceCommandTypes.All; every one inside must reach a handler, not "unsupported"
        var device = TestData.Device(TestData.Clock());

        var results = DeviceCommandTypes.All.Select((type, i) => device.Commands.Execute(TestData.Command("c" + i, type))!).ToList();

        Assert.All(results, r => Assert.DoesNotContain("unsupported command type", r.Message, StringComparison.Ordinal));
        Assert.Equal(DeviceCommandTypes.All.Count, results.Count);
    }

    [Fact]
    public void Command_is_carried_out_once_even_when_delivered_again()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        var command = TestData.Command("c1", "clear-app-data", ("packageName", "com.android.chrome"));
        var freeBefore = device.CurrentStatus().Storage!.FreeBytes;

        var first = device.Commands.Execute(command);
        var freeAfter = device.CurrentStatus().Storage!.FreeBytes;
        clock.Advance(TimeSpan.FromSeconds(30));
        var redelivered = device.Commands.Execute(command); // result not reported yet: the same result again
        device.Commands.MarkResultReported("c1");
        var afterReport = device.Commands.Execute(command);

        Assert.Same(first, redelivered);
        Assert.Null(afterReport);
        Assert.True(freeAfter > freeBefore || first!.Status is "failed");
        Assert.Equal(freeAfter, device.CurrentStatus().Storage!.FreeBytes);
        Assert.Equal(0, device.Commands.UnreportedResults);
    }

    [Fact]
    public void Clear_app_data_of_a_package_that_is_not_installed_fails()
    {
        var device = TestData.Device(TestData.Clock());

        var missing = device.Commands.Execute(TestData.Command("c1", "clear-app-data", ("packageName", "com.acme.nothere")));
        var noParameter = device.Commands.Execute(TestData.Command("c2", "clear-app-data"));

        Assert.Equal(new CommandResultRequest { Status = "failed", Message = "com.acme.nothere is not installed", Timestamp = TestData.Start }, missing);
        Assert.Equal("clear-app-data needs the parameter packageName", noParameter!.Message);
    }

    [Theory]
    [InlineData("self-destruct", 50, "unsupported command type self-destruct")]
    [InlineData("reboot", 9, "reboot refused: battery at 9 % and not docked")] // low battery away from the cradle
    public void Command_that_cannot_be_carried_out_fails_with_a_readable_message(string type, int batteryLevel, string message)
    {
        var device = TestData.Device(TestData.Clock(), batteryLevel, docked: false);

        var result = device.Commands.Execute(TestData.Command("c1", type));

        Assert.Equal(("failed", message), (result!.Status, result.Message));
    }

    [Fact]
    public void Expired_command_is_not_carried_out()
    {
        var device = TestData.Device(TestData.Clock());
        var command = TestData.Command("c1", "refresh-status") with { ExpiresAt = TestData.Start.AddMinutes(-1) };
        TestData.CheckIn(device);

        var result = device.Commands.Execute(command);

        Assert.Equal("failed", result!.Status);
        Assert.StartsWith("command expired", result.Message, StringComparison.Ordinal);
        Assert.True(device.BuildStatusDelta().IsEmpty()); // refresh-status did not run
    }

    [Fact]
    public void Commands_fail_now_and_then()
    {
        var device = TestData.Device(TestData.Clock());

        var results = Enumerable.Range(0, 1000).Select(i => device.Commands.Execute(TestData.Command("c" + i, "lock"))!).ToList();

        Assert.InRange(results.Count(r => r.Status is "failed"), 10, 60);
        Assert.All(results.Where(r => r.Status is "failed"), r => Assert.False(string.IsNullOrWhiteSpace(r.Message)));
    }
}
