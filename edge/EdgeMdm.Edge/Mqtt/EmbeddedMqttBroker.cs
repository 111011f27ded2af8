using System.Net;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.SiteTls;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// The broker embedded in the appliance (MQTTnet): logins checked against the appliance's store, the topic ACL of
/// <see cref="MqttTopics"/> on every subscription and publication and the per-client limits (all three in
/// <see cref="BrokerAccess"/>), and wakes injected as the appliance itself. Thin: decisions come from
/// <see cref="MqttTopics"/> and the store. Its TLS listeners present the site server certificate
/// (<see cref="SiteCertificates"/>), asked again on every handshake so a renewal needs no restart.
/// </summary>
internal sealed partial class EmbeddedMqttBroker(
    IOptions<MqttOptions> options,
    SiteCertificates site,
    IDeviceCredentials devices,
    IMqttClients mqttClients,
    MqttCounters counters,
    TimeProvider clock,
    IEnumerable<ICradleTelemetrySink> cradleSinks,
    ILogger<EmbeddedMqttBroker> logger) : IHostedService, IDeviceWaker, ICradleCommands, IDisposable
{
    /// <summary>How often connected clients' credentials are checked again (a device retired or re-enrolled, a cradle removed).</summary>
    public static readonly TimeSpan RevalidationInterval = TimeSpan.FromSeconds(15);

    /// <summary>Subscriptions one connection may make (<see cref="BrokerAccess"/>).</summary>
    public const int MaxSubscriptionsPerConnection = BrokerAccess.MaxSubscriptionsPerConnection;

    // Logins, the ACL and the limits; it logs as the broker does.
    private readonly BrokerAccess _access = new(options, devices, mqttClients, counters, clock, cradleSinks, logger);

    private const int WriterBufferBytes = 256;
    private const int WriterBufferMaxBytes = 4096;

    private readonly CancellationTokenSource _stopping = new();

    // Device id → its client ids (and, per client, the filters) that take its wakes.
    private readonly WakeListeners _wakeListeners = new();
    private GuardedTcpServerAdapter? _listener;
    private MqttServer? _server;
    private Task _revalidating = Task.CompletedTask;

    /// <summary>Where the broker listens once started, TLS listeners first.</summary>
    public IReadOnlyList<MqttListener> Listeners => _listener?.Bound ?? [];

    /// <summary>The addresses of <see cref="Listeners"/>.</summary>
    public IReadOnlyList<IPEndPoint> BoundEndPoints => [.. Listeners.Select(listener => listener.EndPoint)];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var mqtt = options.Value;
        var factory = new MqttServerFactory();
        _listener = NewListener(mqtt);
        var serverOptions = factory.CreateServerOptionsBuilder()
            .WithoutDefaultEndpoint()
            .WithDefaultCommunicationTimeout(TimeSpan.FromSeconds(mqtt.ConnectTimeoutSeconds))
            .WithMaxPendingMessagesPerClient(mqtt.MaxPendingMessagesPerClient)
            .WithPendingMessagesOverflowStrategy(MqttPendingMessagesOverflowStrategy.DropOldestQueuedMessage)
            .WithPersistentSessions(false)
            .Build();
        // Every connection keeps its write buffers (two per connection in MQTTnet 5.2) for as long as it stays
        // connected: at the 4 KiB default they were a third of a connection's memory. What a device is sent (a
        // CONNACK, a SUBACK, a wake of ~80 bytes, a PINGRESP) fits in 256; a larger packet grows a buffer, which
        // shrinks back to 4 KiB after it (docs/benchmarks.md, device wakes: memory per connection).
        serverOptions.WriterBufferSize = WriterBufferBytes;
        serverOptions.WriterBufferSizeMax = WriterBufferMaxBytes;
        _server = factory.CreateMqttServer(serverOptions, [_listener]);
        _access.Guard(_server);
        _server.ClientConnectedAsync += _ =>
        {
            counters.ClientConnected();
            return Task.CompletedTask;
        };
        _server.ClientDisconnectedAsync += disconnected =>
        {
            counters.ClientDisconnected();
            ForgetWakeListener(disconnected.SessionItems, disconnected.ClientId, filter: null);
            return Task.CompletedTask;
        };
        _server.ClientSubscribedTopicAsync += RecordSubscriptionAsync;
        _server.ClientUnsubscribedTopicAsync += unsubscribed =>
        {
            ForgetWakeListener(unsubscribed.SessionItems, unsubscribed.ClientId, unsubscribed.TopicFilter);
            return Task.CompletedTask;
        };
        await _server.StartAsync();
        var endpoints = Describe().Endpoints;
        LogListening(logger, endpoints);
        _revalidating = RevalidateEveryIntervalAsync(_server, _stopping.Token);
    }

    /// <summary>The listener with the limits of <paramref name="mqtt"/>, reporting what it drops to the counters and the log.</summary>
    private GuardedTcpServerAdapter NewListener(MqttOptions mqtt) =>
        new(
            mqtt.Listeners(),
            new MqttLimits(MqttOptions.MaxConnectBytes, mqtt.MaxPacketBytes, mqtt.MaxConnections),
            () => site.ServerContext,
            (remote, why) =>
            {
                counters.MalformedConnectionDropped();
                LogMalformed(logger, remote?.ToString() ?? "?", why);
            },
            (remote, why) =>
            {
                counters.TlsHandshakeFailed();
                LogHandshakeFailed(logger, remote, why);
            },
            remote =>
            {
                counters.ConnectionOverCapacity();
                // A flood of connections would be a flood of lines: the first, then one in a thousand.
                if (counters.OverCapacity % 1000 == 1)
                    LogOverCapacity(logger, remote?.ToString() ?? "?", mqtt.MaxConnections, counters.OverCapacity);
            });

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _revalidating;
        if (_server is { } server)
            await server.StopAsync();
    }

    public void Dispose()
    {
        _server?.Dispose();
        _listener?.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// A login is checked once, at CONNECT; this ends the sessions whose credential no longer holds, so a retired (lost)
    /// device, a re-enrolled one's old secret or a removed cradle keeps no connection for longer than the interval.
    /// </summary>
    private async Task RevalidateEveryIntervalAsync(MqttServer server, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RevalidationInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await EndInvalidSessionsAsync(server);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // The next round tries again; one bad round must not end the checks for good.
                    LogRevalidationFailed(logger, exception.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task EndInvalidSessionsAsync(MqttServer server)
    {
        foreach (var client in await server.GetClientsAsync())
        {
            if (_access.StillValid(client.Session.Items))
                continue;
            LogSessionEnded(logger, client.Id);
            await client.DisconnectAsync(new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.NotAuthorized });
        }
    }

    /// <summary>
    /// Puts each wake straight into the queue of the sessions of that device that subscribed to its wake topic. MQTTnet's
    /// own publication path matches a message against every session's subscriptions, so waking a floor of N devices
    /// cost N × N filter checks one awaited message at a time (12.8× Mosquitto's time for 5,000 in docs/benchmarks.md);
    /// here it is one pass over the sessions per batch. Who receives is the same: only a device's own sessions, and
    /// only once they subscribed to a filter that matches its wake topic (<see cref="RecordSubscriptionAsync"/>).
    /// </summary>
    public async Task WakeAsync(IReadOnlyList<WakeRequest> wakes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wakes);
        var server = _server ?? throw new InvalidOperationException("the broker is not started");
        if (wakes.Count == 0)
            return;
        var sessions = (await server.GetSessionsAsync()).ToDictionary(session => session.Id, StringComparer.Ordinal);
        foreach (var wake in wakes)
        {
            var clients = _wakeListeners.ClientsOf(wake.DeviceId);
            if (clients.Count == 0)
                continue;
            var message = WakeMessage.For(wake);
            foreach (var clientId in clients)
            {
                // A full queue drops its oldest message (the overflow strategy): the device still checks in on its interval.
                if (sessions.TryGetValue(clientId, out var session))
                    session.TryEnqueueApplicationMessage(message, out _);
            }
        }
    }

    /// <summary>The broker and its listeners as URLs (<c>mqtts://127.0.0.1:8883</c>), so a status shows which speak TLS.</summary>
    public (string Mode, string Endpoints) Describe() => ("embedded", string.Join(", ", Listeners));

    /// <summary>A device's subscription that its wake topic matches makes that client one of the device's wake listeners.</summary>
    private Task RecordSubscriptionAsync(ClientSubscribedTopicEventArgs subscribed)
    {
        var filter = subscribed.TopicFilter.Topic ?? "";
        if (BrokerAccess.PrincipalOf(subscribed.SessionItems) is { Role: MqttRole.Device } device
            && MqttTopicFilterComparer.Compare(MqttTopics.WakeTopic(device.Id), filter) == MqttTopicFilterCompareResult.IsMatch)
        {
            _wakeListeners.Subscribed(device.Id, subscribed.ClientId, filter);
        }

        return Task.CompletedTask;
    }

    /// <summary>Drops one filter (an unsubscription) or, with none, the whole client (a disconnection).</summary>
    private void ForgetWakeListener(System.Collections.IDictionary? sessionItems, string clientId, string? filter)
    {
        if (BrokerAccess.PrincipalOf(sessionItems) is not { Role: MqttRole.Device } device)
            return;
        if (filter is null)
            _wakeListeners.Disconnected(device.Id, clientId);
        else
            _wakeListeners.Unsubscribed(device.Id, clientId, filter);
    }

    /// <summary>An LED command to a cradle: delivered now to its subscribed sessions, not retained.</summary>
    public async Task<bool> PublishAsync(string topic, string payload, CancellationToken cancellationToken)
    {
        if (_server is not { IsStarted: true } server)
            return false;
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        await server.InjectApplicationMessage(
            new InjectedMqttApplicationMessage(message) { CustomSessionItems = new System.Collections.Hashtable { [BrokerAccess.ApplianceKey] = true } },
            cancellationToken);
        return true;
    }

    [LoggerMessage(EventId = 5500, Level = LogLevel.Information, Message = "MQTT broker listening on {Endpoints}")]
    private static partial void LogListening(ILogger logger, string endpoints);

    [LoggerMessage(EventId = 5504, Level = LogLevel.Warning, Message = "MQTT connection from {Remote} dropped: {Why}")]
    private static partial void LogMalformed(ILogger logger, string remote, string why);

    [LoggerMessage(EventId = 5507, Level = LogLevel.Information, Message = "MQTT TLS handshake with {Remote} failed: {Why}")]
    private static partial void LogHandshakeFailed(ILogger logger, EndPoint? remote, string why);

    [LoggerMessage(EventId = 5505, Level = LogLevel.Information, Message = "MQTT session of {ClientId} ended: its credential no longer holds")]
    private static partial void LogSessionEnded(ILogger logger, string clientId);

    [LoggerMessage(EventId = 5508, Level = LogLevel.Warning, Message = "MQTT connection from {Remote} closed: the broker already holds {MaxConnections} (Edge:Mqtt:MaxConnections); {Refused} closed so far")]
    private static partial void LogOverCapacity(ILogger logger, string remote, int maxConnections, long refused);

    [LoggerMessage(EventId = 5506, Level = LogLevel.Warning, Message = "MQTT sessions not checked this round: {Error}")]
    private static partial void LogRevalidationFailed(ILogger logger, string error);
}

/// <summary>Roles of broker clients that are not devices.</summary>
public static class MqttClientRoles
{
    public const string Cradle = "cradle";
    public const string Tool = "tool";

    public static bool IsKnown(string? role) => role is Cradle or Tool;
}
