using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeMdm.Agent;
using EdgeMdm.Edge.SiteTls;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The embedded broker's TLS: the site server certificate on <c>--mqtt-listen</c>, plain MQTT only on
/// <c>--mqtt-listen-plain</c>, the agent's wake listener pinning the site's key, and a renewal served without restart.
/// </summary>
public sealed class MqttTlsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Plain_mqtt_is_served_only_where_asked_and_enrollment_names_the_tls_listener()
    {
        await using var server = await EdgeServer.StartAsync("--mqtt-listen", "127.0.0.1:0", "--mqtt-listen-plain", "127.0.0.1:0");
        var (tls, plain) = (server.Broker.Listeners[0], server.Broker.Listeners[1]);
        Assert.True(tls.Tls);
        Assert.False(plain.Tls);
        var device = await server.EnrollAsync("S-TLS-PLAIN");

        Assert.Equal($"mqtts://127.0.0.1:{tls.EndPoint.Port}", device.MqttUrl);
        Assert.Equal(("embedded", $"mqtts://127.0.0.1:{tls.EndPoint.Port}, mqtt://127.0.0.1:{plain.EndPoint.Port}"), server.Broker.Describe());
        using var onPlain = new MqttClientFactory().CreateMqttClient();
        var loggedIn = await onPlain.ConnectAsync(Plain(plain.EndPoint, device), CancellationToken.None);
        Assert.Equal(MqttClientConnectResultCode.Success, loggedIn.ResultCode);

        // Plain MQTT on the TLS port: the CONNECT (with the secret) never reaches the broker's login check.
        using var plainOnTls = new MqttClientFactory().CreateMqttClient();
        await Assert.ThrowsAnyAsync<Exception>(() => plainOnTls.ConnectAsync(Plain(tls.EndPoint, device), CancellationToken.None));
        await WaitUntilAsync(() => server.MqttCounters.TlsHandshakesFailed == 1);
        Assert.Equal(1, server.MqttCounters.LoginsAccepted);
    }

    [Fact]
    public async Task Broker_asked_only_for_plain_mqtt_is_named_mqtt_at_enrollment()
    {
        await using var server = await EdgeServer.StartAsync("--mqtt-listen-plain", "127.0.0.1:0");

        var device = await server.EnrollAsync("S-PLAIN-ONLY");

        Assert.Equal($"mqtt://127.0.0.1:{server.Broker.BoundEndPoints.Single().Port}", device.MqttUrl);
    }

    [Fact]
    public async Task Agent_holding_the_site_pin_is_woken_over_tls_and_one_holding_another_pin_is_refused()
    {
        await using var server = await EdgeServer.StartAsync("--mqtt-listen", "127.0.0.1:0");
        var device = await server.EnrollAsync("S-PINNED");
        var impostor = await server.EnrollAsync("S-OTHER-PIN");
        using var stop = new CancellationTokenSource();
        var pinnedLog = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var wrongLog = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var pinned = new WakeListener(new Uri(device.MqttUrl!), device.DeviceId, device.DeviceSecret, TimeProvider.System, pinnedLog.Enqueue, pin: server.TlsPin);
        using var wrong = new WakeListener(new Uri(impostor.MqttUrl!), impostor.DeviceId, impostor.DeviceSecret, TimeProvider.System, wrongLog.Enqueue,
            pin: Convert.ToHexStringLower(SHA256.HashData("another appliance's key"u8)));
        var running = Task.WhenAll(pinned.RunAsync(stop.Token), wrong.RunAsync(stop.Token));
        await WaitUntilAsync(() => pinned.IsConnected && !wrongLog.IsEmpty);
        await Task.Delay(200); // the subscription follows the connection

        await server.QueueCommandAsync(device.DeviceId, "ring");

        Assert.True(await pinned.Signal.WaitAsync(Patience, TimeProvider.System, CancellationToken.None), "no wake: " + string.Join(" | ", pinnedLog));
        Assert.False(wrong.IsConnected);
        Assert.Equal(0, wrong.Connects);
        Assert.StartsWith("no wake connection to 127.0.0.1:", Assert.Single(wrongLog), StringComparison.Ordinal);
        Assert.Equal(1, server.MqttCounters.LoginsAccepted); // the impostor's secret was never sent to a broker it did not pin
        await stop.CancelAsync();
        await running.WaitAsync(Patience);
    }

    [Fact]
    public async Task Renewed_certificate_is_served_to_the_next_connection_without_restart_and_the_pin_holds()
    {
        await using var server = await EdgeServer.StartAsync("--mqtt-listen", "127.0.0.1:0");
        var device = await server.EnrollAsync("S-RENEW");
        using var before = await PresentedAsync(server, device);

        server.Clock.Advance(SiteCertificates.ServerLifetime - SiteCertificates.RenewBefore + TimeSpan.FromDays(1));
        using var after = await PresentedAsync(server, device);

        Assert.NotEqual(before.SerialNumber, after.SerialNumber);
        Assert.True(after.NotAfter > before.NotAfter);
        Assert.Equal(server.TlsPin, EdgeMdm.Discovery.Service.TlsPin.Of(after));
        Assert.Equal(EdgeMdm.Discovery.Service.TlsPin.Of(before), EdgeMdm.Discovery.Service.TlsPin.Of(after));
    }

    /// <summary>Logs in over TLS, pinning the site key, and returns the certificate the broker presented.</summary>
    private static async Task<X509Certificate2> PresentedAsync(EdgeServer server, EnrollResponse device)
    {
        X509Certificate2? presented = null;
        var pin = server.TlsPin;
        var (endpoint, _) = server.Broker.Listeners[0];
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(endpoint.Address.ToString(), endpoint.Port)
            .WithTlsOptions(tls => tls.UseTls().WithCertificateValidationHandler(handshake =>
            {
                presented = X509CertificateLoader.LoadCertificate(handshake.Certificate.GetRawCertData());
                return EdgeMdm.Discovery.Service.TlsPin.Matches(handshake.Certificate, pin);
            }))
            .WithClientId(device.DeviceId)
            .WithCredentials(device.DeviceId, device.DeviceSecret)
            .WithTimeout(Patience)
            .Build();
        using var client = new MqttClientFactory().CreateMqttClient();
        Assert.Equal(MqttClientConnectResultCode.Success, (await client.ConnectAsync(options, CancellationToken.None)).ResultCode);
        await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
        return presented!;
    }

    private static MqttClientOptions Plain(IPEndPoint broker, EnrollResponse device) =>
        new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Address.ToString(), broker.Port)
            .WithClientId(device.DeviceId)
            .WithCredentials(device.DeviceId, device.DeviceSecret)
            .WithTimeout(TimeSpan.FromSeconds(5))
            .Build();

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++)
            await Task.Delay(10);
        Assert.True(condition());
    }
}
