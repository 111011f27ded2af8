using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeMdm.Discovery.Service;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeMdm.Agent.Tests;

/// <summary>The wake listener against a real broker on loopback; its backoff waits on a fake clock.</summary>
public sealed class WakeListenerTests : IAsyncDisposable
{
    // Longer than any wait between two reconnection attempts.
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private readonly WaitCountingClock _clock = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly int _port = FreePort();
    private MqttServer? _broker;
    private int _connectAttempts;

    [Fact]
    public async Task A_refused_connection_is_retried_on_the_clock_and_the_problem_logged_once()
    {
        await StartBrokerAsync(refuse: true);
        using var listener = Listener();

        var running = listener.RunAsync(_stop.Token);
        await WaitUntilAsync(() => _connectAttempts == 1);
        await Task.Delay(100);
        Assert.Equal(1, _connectAttempts); // real time passed, the clock did not: no second attempt yet
        for (var attempts = 2; attempts <= 4; attempts++)
        {
            await _clock.AdvanceOnceWaitedOnAsync(attempts - 1, MaxBackoff);
            await WaitUntilAsync(() => _connectAttempts == attempts);
        }

        await _stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(listener.IsConnected);
        Assert.Equal(0, listener.Connects);
        var problem = Assert.Single(_log);
        Assert.StartsWith($"no wake connection to 127.0.0.1:{_port} (", problem, StringComparison.Ordinal);
        Assert.EndsWith("); retrying with backoff", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lost_connection_is_made_again_after_a_backoff_and_the_device_checks_in_once()
    {
        await StartBrokerAsync(refuse: false);
        using var listener = Listener();
        var running = listener.RunAsync(_stop.Token);
        await WaitUntilAsync(() => listener.Connects == 1 && listener.IsConnected);
        Assert.False(await listener.Signal.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None)); // the first connection wakes nobody

        var first = _broker!;
        await first.StopAsync();
        first.Dispose();
        await WaitUntilAsync(() => _log.Contains("wake connection lost; checking in on the interval until it is back"));
        await StartBrokerAsync(refuse: false);
        await Task.Delay(100);
        Assert.Equal(1, listener.Connects); // the reconnection waits out a backoff on the clock
        await _clock.AdvanceOnceWaitedOnAsync(1, MaxBackoff);
        await WaitUntilAsync(() => listener.Connects == 2);

        Assert.True(await listener.Signal.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None)); // a wake may have been missed meanwhile
        await _stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(
            [$"listening for wakes on 127.0.0.1:{_port}", "wake connection lost; checking in on the interval until it is back", $"listening for wakes on 127.0.0.1:{_port}"],
            _log);
    }

    [Fact]
    public async Task Over_tls_the_listener_connects_to_the_broker_whose_key_it_pinned()
    {
        using var certificate = TestCertificates.Loopback("wake-test");
        await StartBrokerAsync(refuse: false, certificate);
        using var listener = Listener("mqtts", TlsPin.Of(certificate));

        var running = listener.RunAsync(_stop.Token);
        await WaitUntilAsync(() => listener.Connects == 1 && listener.IsConnected);

        Assert.Equal(1, _connectAttempts);
        await _stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([$"listening for wakes on 127.0.0.1:{_port}"], _log);
    }

    [Fact]
    public async Task Over_tls_a_broker_with_another_key_is_refused_before_the_device_s_credential_is_sent()
    {
        using var certificate = TestCertificates.Loopback("wake-test");
        using var other = TestCertificates.Loopback("wake-test");
        await StartBrokerAsync(refuse: false, certificate);
        using var listener = Listener("mqtts", TlsPin.Of(other));

        var running = listener.RunAsync(_stop.Token);
        await WaitUntilAsync(() => !_log.IsEmpty);

        await _stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, listener.Connects);
        Assert.False(listener.IsConnected);
        Assert.Equal(0, _connectAttempts); // the broker never saw a CONNECT, so never the device's secret
        Assert.StartsWith($"no wake connection to 127.0.0.1:{_port} (", Assert.Single(_log), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_tls_without_a_pin_a_certificate_the_system_does_not_trust_is_refused()
    {
        using var certificate = TestCertificates.Loopback("wake-test");
        await StartBrokerAsync(refuse: false, certificate);
        using var listener = Listener("mqtts", pin: null);

        var running = listener.RunAsync(_stop.Token);
        await WaitUntilAsync(() => !_log.IsEmpty);

        await _stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, listener.Connects);
        Assert.Equal(0, _connectAttempts);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
        if (_broker is not null)
        {
            await _broker.StopAsync();
            _broker.Dispose();
        }
    }

    private WakeListener Listener(string scheme = "mqtt", string? pin = null) =>
        new(new Uri($"{scheme}://127.0.0.1:{_port}"), "device-1", "secret-1", _clock, _log.Enqueue, seed: 5, pin: pin);

    /// <summary>A broker on loopback: plain, or TLS-only with <paramref name="certificate"/>.</summary>
    private async Task StartBrokerAsync(bool refuse, X509Certificate2? certificate = null)
    {
        var factory = new MqttServerFactory();
        var builder = factory.CreateServerOptionsBuilder();
        var options = certificate is null
            ? builder.WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointPort(_port).Build()
            : builder.WithoutDefaultEndpoint().WithEncryptedEndpoint().WithEncryptedEndpointBoundIPAddress(IPAddress.Loopback).WithEncryptedEndpointPort(_port)
                .WithEncryptionCertificate(certificate).Build();
        _broker = factory.CreateMqttServer(options);
        _broker.ValidatingConnectionAsync += connection =>
        {
            Interlocked.Increment(ref _connectAttempts);
            if (refuse)
                connection.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            return Task.CompletedTask;
        };
        await _broker.StartAsync();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++)
            await Task.Delay(10);
        Assert.True(condition());
    }
}
