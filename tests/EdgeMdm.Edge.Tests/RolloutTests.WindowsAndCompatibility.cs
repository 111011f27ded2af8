using System.Text;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;
using MQTTnet;

namespace EdgeMdm.Edge.Tests;

/// <summary>What holds a device on the from version besides its wave: the maintenance window, its OS; and the cache keeping both versions.</summary>
public sealed partial class RolloutTests
{
    [Fact]
    public async Task Outside_the_maintenance_window_devices_keep_the_from_version_and_inside_it_are_offered_the_target()
    {
        // Arrange: 22:00–05:00 in Paris; the test clock starts at 08:00 UTC (09:00 in Paris)
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var plan = new RolloutPlan([new PercentageWave(100)], HaltPolicy.Default, new MaintenanceWindow("Europe/Paris", new TimeOnly(22, 0), new TimeOnly(5, 0)));
        var device = Assert.Single((await RollingOutAsync(server, hub, plan, 1)).Devices);

        // Act
        var closed = await DeclaredAsync(server, device);
        server.Clock.Advance(TimeSpan.FromHours(13.5));
        var open = await DeclaredAsync(server, device);

        // Assert
        Assert.Equal(From, closed.App.VersionCode);
        Assert.Equal(Target, open.App.VersionCode);
        Assert.NotEqual(closed.Token, open.Token);
    }

    [Fact]
    public async Task A_device_whose_maintenance_window_opens_is_woken_to_fetch_its_new_declarations()
    {
        // Arrange: as above, with the broker; the device is subscribed to its wake topic while the window is closed
        await using var server = await EdgeServer.StartAsync("--mqtt-listen", "127.0.0.1:0");
        using var hub = new HubCatalog();
        var plan = new RolloutPlan([new PercentageWave(100)], HaltPolicy.Default, new MaintenanceWindow("Europe/Paris", new TimeOnly(22, 0), new TimeOnly(5, 0)));
        var device = Assert.Single((await RollingOutAsync(server, hub, plan, 1)).Devices);
        server.Get<ISiteRollouts>().Refresh(server.Clock.GetUtcNow());
        using var client = new MqttClientFactory().CreateMqttClient();
        var wakes = System.Threading.Channels.Channel.CreateUnbounded<string>();
        client.ApplicationMessageReceivedAsync += e =>
        {
            wakes.Writer.TryWrite(Encoding.UTF8.GetString(e.ApplicationMessage.Payload));
            return Task.CompletedTask;
        };
        await client.ConnectAsync(
            server.BrokerClient().WithClientId(device.DeviceId).WithCredentials(device.DeviceId, device.Secret).Build(),
            CancellationToken.None);
        await client.SubscribeAsync(Mqtt.MqttTopics.WakeTopic(device.DeviceId), MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, CancellationToken.None);
        Assert.Equal(From, (await DeclaredAsync(server, device)).App.VersionCode);

        // Act: 22:30 in Paris
        server.Clock.Advance(TimeSpan.FromHours(13.5));
        server.Get<ISiteRollouts>().Refresh(server.Clock.GetUtcNow());

        // Assert
        Assert.Equal("""{"reason":"declarations"}""", await wakes.Reader.ReadAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token));
        Assert.Equal(Target, (await DeclaredAsync(server, device)).App.VersionCode);
    }

    [Fact]
    public async Task A_device_below_the_package_minimum_keeps_the_from_version_is_reported_incompatible_and_stays_compliant()
    {
        // Arrange: the target needs Android 14; one device runs 12
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var current = Assert.Single((await RollingOutAsync(server, hub, new RolloutPlan([new PercentageWave(100)], HaltPolicy.Default, Window: null), 1, minOs: "14")).Devices);
        var old = Assert.Single(await EnrollRunningAsync(server, 1, From, serialPrefix: "OLD", osVersion: "12"));

        // Act
        var state = await WaitForRolloutAsync(server, s => s.Counts.Incompatible == 1 && s.Counts.Pending == 1);
        var oldDeclared = await DeclaredAsync(server, old);
        var currentDeclared = await DeclaredAsync(server, current);

        // Assert: never offered what it cannot run, counted incompatible, and not out of line for the version it keeps
        Assert.Equal(From, oldDeclared.App.VersionCode);
        Assert.Equal(Target, currentDeclared.App.VersionCode);
        Assert.Equal(0, state.Counts.Failed);
        var detail = server.Get<IDeviceQueries>().Device(old.DeviceId)!;
        Assert.True(detail.Device.Compliant, string.Join("; ", detail.CurrentFindings));
        var currentDetail = server.Get<IDeviceQueries>().Device(current.DeviceId)!;
        Assert.Contains(currentDetail.CurrentFindings, f => string.Equals(f.Item, "app:" + HubCatalog.SeedApp, StringComparison.Ordinal) && f.Expected.Contains("200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Both_versions_of_a_rollout_are_pinned_in_the_cache()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        using var hub = new HubCatalog();
        var (from, target) = await PublishAsync(server, hub, minOs: null);

        // Act
        await HubCatalog.ApplyAsync(server, hub.Blueprint(PickersRollingOut(target, HalfThenAll)));

        // Assert: the seed's other group names the from version too, so check the blueprint without it as well
        Assert.Equal(new[] { from.Sha256, target.Sha256 }.Order(), server.Get<IPinnedPackages>().PinnedPackages().Select(p => p.Manifest.Sha256).Order());
        await HubCatalog.ApplyAsync(server, hub.Blueprint(PickersRollingOut(target, HalfThenAll) with { Group = "vehicle-mounts" }));
        Assert.Equal(new[] { from.Sha256, target.Sha256 }.Order(), server.Get<IPinnedPackages>().PinnedPackages().Select(p => p.Manifest.Sha256).Order());
        await HubCatalog.ApplyAsync(server, hub.Blueprint(new Blueprint("pickers", [new RequiredApp(HubCatalog.SeedApp, Target, "v200")], null, [], [], null)), hub.Blueprint(new Blueprint("vehicle-mounts", [new RequiredApp(HubCatalog.SeedApp, Target, "v200")], null, [], [], null)));
        Assert.Equal([target.Sha256], server.Get<IPinnedPackages>().PinnedPackages().Select(p => p.Manifest.Sha256));
    }

    // ---- helpers ----------------------------------------------------------------------------------------

    internal sealed record EnrolledDevice(string DeviceId, string Secret);
}
