namespace EdgeMdm.Agent.Tests;

public sealed class VirtualDeviceDeltaTests
{
    [Fact]
    public void First_delta_after_enrollment_contains_every_item()
    {
        var device = TestData.Device(TestData.Clock());

        var delta = device.BuildStatusDelta();

        Assert.NotNull(delta.Apps);
        Assert.All<object?>([delta.Os, delta.Battery, delta.Storage, delta.Wifi, delta.Configurations, delta.Certificates], Assert.NotNull);
        Assert.Null(delta.Staging); // no declarations yet: nothing to stage, and no claim that staging is done
        Assert.Contains(delta.Apps, a => a is { PackageName: "com.edgemdm.sample.scanner", VersionCode: 100, VersionName: "1.0.0" });
        Assert.Contains(delta.Apps, a => a.PackageName is "com.android.chrome");
    }

    [Fact]
    public void Delta_of_an_unchanged_device_is_empty_although_its_lists_are_new_instances()
    {
        var device = TestData.Device(TestData.Clock());
        TestData.CheckIn(device);

        var delta = device.BuildStatusDelta();

        Assert.True(delta.IsEmpty());
    }

    [Fact]
    public void Delta_after_acknowledge_contains_only_changed_items()
    {
        var (_, delta) = DeltaTwentyMinutesAfterACheckIn();

        Assert.NotNull(delta.Battery);
        Assert.True(delta.Battery.Level < 60);
        Assert.All<object?>([delta.Apps, delta.Os, delta.Configurations, delta.Certificates, delta.Staging], Assert.Null);
    }

    [Fact]
    public void Unacknowledged_delta_is_sent_again()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        var first = device.BuildStatusDelta();

        // The check-in failed: no Acknowledge. Time passes, the battery changes further.
        clock.Advance(TimeSpan.FromMinutes(5));
        var retry = device.BuildStatusDelta();

        Assert.NotNull(first.Apps);
        Assert.Equal(first.Apps, retry.Apps);
        Assert.Equal(first.Os, retry.Os);
        Assert.All<object?>([retry.Battery, retry.Storage, retry.Wifi], Assert.NotNull);
    }

    [Fact]
    public void Change_in_a_failed_checkin_is_in_the_next_delta_even_when_nothing_else_changed()
    {
        var (device, lost) = DeltaTwentyMinutesAfterACheckIn();

        var next = TestData.CheckIn(device);

        Assert.NotNull(lost.Battery);
        Assert.Equal(lost.Battery, next.Battery);
        Assert.True(device.BuildStatusDelta().IsEmpty());
    }

    [Fact]
    public void Refresh_status_command_makes_the_next_delta_full()
    {
        var device = TestData.Device(TestData.Clock());
        TestData.CheckIn(device);

        var result = device.Commands.Execute(TestData.Command("c1", "refresh-status"));
        var delta = TestData.CheckIn(device);

        Assert.Equal("succeeded", result?.Status);
        Assert.NotNull(delta.Apps);
        Assert.NotNull(delta.Os);
        Assert.NotNull(delta.Battery);
        Assert.True(device.BuildStatusDelta().IsEmpty());
    }

    [Fact]
    public void Full_status_requested_while_a_checkin_is_in_flight_is_still_sent()
    {
        var device = TestData.Device(TestData.Clock());
        TestData.CheckIn(device);
        device.BuildStatusDelta();

        device.RequestFullStatus(); // arrives before the in-flight check-in is acknowledged
        device.Acknowledge();

        Assert.NotNull(device.BuildStatusDelta().Os);
    }

    [Fact]
    public void Same_serial_and_seed_give_the_same_device()
    {
        var clockA = TestData.Clock();
        var clockB = TestData.Clock();
        var a = new VirtualDevice("SIM00007", 7, clockA);
        var b = new VirtualDevice("SIM00007", 7, clockB);

        clockA.Advance(TimeSpan.FromHours(3));
        clockB.Advance(TimeSpan.FromHours(3));
        var statusA = a.CurrentStatus();
        var statusB = b.CurrentStatus();

        Assert.Equal((a.Model, statusA.Battery, statusA.Storage, statusA.Wifi), (b.Model, statusB.Battery, statusB.Storage, statusB.Wifi));
    }

    [Fact]
    public void Physical_state_depends_on_elapsed_time_not_on_how_often_it_is_observed()
    {
        var clockA = TestData.Clock();
        var clockB = TestData.Clock();
        var often = new VirtualDevice("SIM00008", 8, clockA);
        var once = new VirtualDevice("SIM00008", 8, clockB);

        for (var i = 0; i < 90; i++)
        {
            clockA.Advance(TimeSpan.FromMinutes(2));
            TestData.CheckIn(often);
        }

        clockB.Advance(TimeSpan.FromMinutes(180));

        Assert.Equal(once.CurrentStatus().Battery, often.CurrentStatus().Battery);
    }

    /// <summary>A draining device whose first, full status the appliance accepted, and its delta twenty minutes later.</summary>
    private static (VirtualDevice Device, DeviceStatus Delta) DeltaTwentyMinutesAfterACheckIn()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock, batteryLevel: 60, docked: false);
        TestData.CheckIn(device);
        clock.Advance(TimeSpan.FromMinutes(20));
        return (device, device.BuildStatusDelta());
    }
}
