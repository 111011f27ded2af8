namespace EdgeMdm.Edge.Tests;

public sealed class MqttTopicsTests
{
    private static readonly MqttPrincipal Device = new(MqttRole.Device, "dev-a");
    private static readonly MqttPrincipal Cradle = new(MqttRole.Cradle, "cradle-1");
    private static readonly MqttPrincipal Tool = new(MqttRole.Tool, "supervisor-board");

    [Theory]
    [InlineData("edgemdm/devices/dev-a/wake", true)]
    [InlineData("edgemdm/devices/dev-a/#", true)]
    [InlineData("edgemdm/devices/dev-a/+", true)]
    [InlineData("edgemdm/devices/dev-b/wake", false)]
    [InlineData("edgemdm/devices/+/wake", false)]
    [InlineData("edgemdm/devices/#", false)]
    [InlineData("edgemdm/#", false)]
    [InlineData("#", false)]
    [InlineData("+/devices/dev-a/wake", false)]
    [InlineData("$SYS/#", false)]
    [InlineData("$share/g/edgemdm/devices/dev-a/wake", false)]
    [InlineData("edgemdm/devices/dev-a/wa#", false)]
    [InlineData("edgemdm/devices/dev-a/#/x", false)]
    [InlineData("edgemdm/cradles/cradle-1/slots", false)]
    [InlineData("", false)]
    public void Device_subscribes_only_within_its_own_topics(string filter, bool allowed) =>
        Assert.Equal(allowed, MqttTopics.MaySubscribe(Device, filter));

    [Theory]
    [InlineData("edgemdm/devices/dev-a/wake")]
    [InlineData("edgemdm/devices/dev-a/status")]
    [InlineData("edgemdm/cradles/cradle-1/slots")]
    public void Device_publishes_nothing(string topic) => Assert.False(MqttTopics.MayPublish(Device, topic));

    [Theory]
    [InlineData("edgemdm/cradles/cradle-1/slots/3", true)]
    [InlineData("edgemdm/cradles/cradle-1/battery", true)]
    [InlineData("edgemdm/cradles/cradle-2/slots/3", false)]
    [InlineData("edgemdm/cradles/+/slots", false)]
    [InlineData("edgemdm/cradles/cradle-1/#", false)]
    [InlineData("edgemdm/devices/dev-a/wake", false)]
    public void Cradle_publishes_only_under_its_own_id(string topic, bool allowed) =>
        Assert.Equal(allowed, MqttTopics.MayPublish(Cradle, topic));

    [Theory]
    [InlineData("edgemdm/cradles/#", true)]
    [InlineData("edgemdm/cradles/+/slots/+", true)]
    [InlineData("edgemdm/cradles/cradle-1/battery", true)]
    [InlineData("edgemdm/+/cradle-1/battery", false)]
    [InlineData("edgemdm/devices/dev-a/wake", false)]
    [InlineData("#", false)]
    public void Tool_reads_every_cradle_and_nothing_else(string filter, bool allowed) =>
        Assert.Equal(allowed, MqttTopics.MaySubscribe(Tool, filter));

    [Fact]
    public void Tool_publishes_nothing() => Assert.False(MqttTopics.MayPublish(Tool, "edgemdm/cradles/cradle-1/slots"));

    [Fact]
    public void Overlong_filter_is_denied_unsplit() =>
        Assert.False(MqttTopics.MaySubscribe(Device, "edgemdm/devices/dev-a/" + new string('x', MqttTopics.MaxTopicLength)));
}

public sealed class MqttOptionsTests
{
    [Theory]
    [InlineData("127.0.0.1:1883", null, null)]
    [InlineData("127.0.0.1:1883,[::1]:1883", null, null)]
    [InlineData("127.0.0.1", null, "Edge:Mqtt:Listen (--mqtt-listen): '127.0.0.1' is not an IP:port")]
    [InlineData("broker.lan:1883", null, "is not an IP:port")]
    [InlineData("127.0.0.1:1883", "mosquitto:1883", "exclude each other")]
    [InlineData(null, "mosquitto", "Edge:Mqtt:External (--mqtt-external): 'mosquitto' is not host:port")]
    [InlineData(null, "mosquitto.lan:1883", null)]
    public void Listen_and_external_are_checked_at_start(string? listen, string? external, string? failure)
    {
        var failures = new MqttOptions { Listen = listen, External = external }.Validate();
        if (failure is null)
            Assert.Empty(failures);
        else
            Assert.Contains(failures, f => f.Contains(failure, StringComparison.Ordinal));
    }

    [Fact]
    public void Password_file_needs_the_external_broker_and_the_appliance_login()
    {
        var failures = new MqttOptions { External = "mosquitto:1883", ExternalPasswordFile = "/tmp/p" }.Validate();
        Assert.Contains(failures, f => f.Contains("ExternalPasswordFile needs", StringComparison.Ordinal));
    }
}
