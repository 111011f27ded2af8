using System.Net;
using System.Runtime.CompilerServices;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.SiteTls;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// The broker embedded in the appliance (MQTTnet): logins checked against the appliance's store, the topic ACL of
/// <see cref="MqttTopics"/> on every subscription and publication, and wakes injected as the appliance itself. Thin:
/// decisions come from <see cref="MqttTopics"/> and the store. Its TLS listeners present the site server certificate
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

    /// <summary>Subscriptions one connection may make: a device needs one; the cap keeps a client from filling memory with filters.</summary>
    public const int MaxSubscriptionsPerConnection = 32;

    private const string PrincipalKey = "edgemdm.principal";
    private const string SubscriptionsKey = "edgemdm.subscriptions";
    private const string SecretHashKey = "edgemdm.secret-hash";
    private const string PublishBudgetKey = "edgemdm.publish-budget";

    // Marks a message the appliance itself injects (an LED command): no client can set session items.
    private const string ApplianceKey = "edgemdm.appliance";

    private readonly ICradleTelemetrySink[] _cradleSinks = [.. cradleSinks];

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
        _server.ValidatingConnectionAsync += ValidateConnectionAsync;
        _server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        _server.InterceptingPublishAsync += InterceptPublishAsync;
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
            () => site.Server,
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
            if (StillValid(client.Session.Items))
                continue;
            LogSessionEnded(logger, client.Id);
            await client.DisconnectAsync(new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.NotAuthorized });
        }
    }

    private bool StillValid(System.Collections.IDictionary items) => items[PrincipalKey] switch
    {
        MqttPrincipal { Role: MqttRole.Device } device => items[SecretHashKey] is string hash && devices.IsDeviceCredential(device.Id, hash),
        MqttPrincipal other => mqttClients.IsMqttClient(other.Id),
        _ => false,
    };

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

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs connection)
    {
        var principal = Authenticate(connection.UserName, connection.Password);
        if (principal is null)
        {
            connection.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            Refused(connection, "bad user name or password");
            return Task.CompletedTask;
        }

        // One connection per identity: a client id that is someone else's user name would take over their session.
        var clientId = connection.ClientId ?? "";
        if (!string.Equals(clientId, principal.Id, StringComparison.Ordinal) && !clientId.StartsWith(principal.Id + "/", StringComparison.Ordinal))
        {
            connection.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            Refused(connection, "client id must be the user name, or begin with it and '/'");
            return Task.CompletedTask;
        }

        connection.SessionItems[PrincipalKey] = principal;
        connection.SessionItems[SubscriptionsKey] = new StrongBox<int>();
        connection.SessionItems[PublishBudgetKey] = new PublishBudget(options.Value.PublishesPerSecondPerClient, clock);
        if (principal.Role == MqttRole.Device)
            connection.SessionItems[SecretHashKey] = CanonicalHash.Sha256Hex(connection.Password!);
        counters.LoginAccepted();
        return Task.CompletedTask;
    }

    private MqttPrincipal? Authenticate(string? userName, string? password)
    {
        if (string.IsNullOrEmpty(userName) || string.IsNullOrEmpty(password) || password.Length > 256 || !MqttTopics.IsValidClientId(userName))
            return null;
        if (mqttClients.VerifyMqttClient(userName, password) is { } client)
            return new MqttPrincipal(string.Equals(client.Role, MqttClientRoles.Cradle, StringComparison.Ordinal) ? MqttRole.Cradle : MqttRole.Tool, client.ClientId);
        // Exactly the device API's check: SHA-256 of the secret names the device, which must not be retired.
        return devices.IsDeviceCredential(userName, CanonicalHash.Sha256Hex(password)) ? new MqttPrincipal(MqttRole.Device, userName) : null;
    }

    private void Refused(ValidatingConnectionEventArgs connection, string why)
    {
        counters.LoginRefused();
        LogLoginRefused(logger, connection.UserName ?? "", connection.ClientId ?? "", connection.RemoteEndPoint?.ToString() ?? "?", why);
    }

    /// <summary>A device's subscription that its wake topic matches makes that client one of the device's wake listeners.</summary>
    private Task RecordSubscriptionAsync(ClientSubscribedTopicEventArgs subscribed)
    {
        var filter = subscribed.TopicFilter.Topic ?? "";
        if (subscribed.SessionItems[PrincipalKey] is MqttPrincipal { Role: MqttRole.Device } device
            && MqttTopicFilterComparer.Compare(MqttTopics.WakeTopic(device.Id), filter) == MqttTopicFilterCompareResult.IsMatch)
        {
            _wakeListeners.Subscribed(device.Id, subscribed.ClientId, filter);
        }

        return Task.CompletedTask;
    }

    /// <summary>Drops one filter (an unsubscription) or, with none, the whole client (a disconnection).</summary>
    private void ForgetWakeListener(System.Collections.IDictionary? sessionItems, string clientId, string? filter)
    {
        if (sessionItems?[PrincipalKey] is not MqttPrincipal { Role: MqttRole.Device } device)
            return;
        if (filter is null)
            _wakeListeners.Disconnected(device.Id, clientId);
        else
            _wakeListeners.Unsubscribed(device.Id, clientId, filter);
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs subscription)
    {
        var filter = subscription.TopicFilter.Topic ?? "";
        if (subscription.SessionItems[PrincipalKey] is MqttPrincipal principal && MqttTopics.MaySubscribe(principal, filter)
            && subscription.SessionItems[SubscriptionsKey] is StrongBox<int> made && Interlocked.Increment(ref made.Value) <= MaxSubscriptionsPerConnection)
            return Task.CompletedTask;
        subscription.ProcessSubscription = false;
        subscription.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        counters.SubscriptionDenied();
        LogSubscribeDenied(logger, subscription.ClientId ?? "", filter);
        return Task.CompletedTask;
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs publication)
    {
        var topic = publication.ApplicationMessage.Topic ?? "";
        if (publication.SessionItems?[ApplianceKey] is true)
            return;
        // Before the ACL: a flood of denied publications costs the broker as much as one of allowed ones.
        if (publication.SessionItems?[PublishBudgetKey] is PublishBudget budget && budget.Take() is var verdict and not PublishVerdict.Taken)
        {
            publication.ProcessPublish = false;
            publication.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            counters.PublishThrottled();
            if (verdict == PublishVerdict.Disconnect)
            {
                LogFlooding(logger, publication.ClientId ?? "", options.Value.PublishesPerSecondPerClient);
                // Not awaited here: the client's own packet loop is running this handler.
                _ = DisconnectAsync(publication.ClientId);
            }

            return;
        }

        if (publication.SessionItems?[PrincipalKey] is MqttPrincipal principal && MqttTopics.MayPublish(principal, topic))
        {
            // Retained messages live in the broker's memory for good, one per topic: a cradle inventing topics would
            // grow it without bound, so telemetry is delivered to whoever listens now and not kept.
            publication.ApplicationMessage.Retain = false;
            foreach (var sink in _cradleSinks)
                await sink.ReceivedAsync(principal.Id, topic, publication.ApplicationMessage.Payload, publication.CancellationToken);
            return;
        }

        publication.ProcessPublish = false;
        publication.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
        counters.PublicationDenied();
        LogPublishDenied(logger, publication.ClientId ?? "", topic);
    }

    private async Task DisconnectAsync(string? clientId)
    {
        if (_server is not { IsStarted: true } server || clientId is null)
            return;
        try
        {
            foreach (var client in await server.GetClientsAsync())
            {
                if (string.Equals(client.Id, clientId, StringComparison.Ordinal))
                    await client.DisconnectAsync(new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.MessageRateTooHigh });
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or ObjectDisposedException or IOException)
        {
            // Gone already, or the broker is stopping.
        }
    }

    /// <summary>An LED command to a cradle: delivered now to its subscribed sessions, not retained.</summary>
    public async Task<bool> PublishAsync(string topic, string payload, CancellationToken cancellationToken)
    {
        if (_server is not { IsStarted: true } server)
            return false;
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        await server.InjectApplicationMessage(
            new InjectedMqttApplicationMessage(message) { CustomSessionItems = new System.Collections.Hashtable { [ApplianceKey] = true } },
            cancellationToken);
        return true;
    }

    [LoggerMessage(EventId = 5500, Level = LogLevel.Information, Message = "MQTT broker listening on {Endpoints}")]
    private static partial void LogListening(ILogger logger, string endpoints);

    [LoggerMessage(EventId = 5501, Level = LogLevel.Warning, Message = "MQTT login refused: user {UserName}, client {ClientId} from {Remote}: {Why}")]
    private static partial void LogLoginRefused(ILogger logger, string userName, string clientId, string remote, string why);

    [LoggerMessage(EventId = 5502, Level = LogLevel.Warning, Message = "MQTT subscription denied: client {ClientId} asked for {Filter}")]
    private static partial void LogSubscribeDenied(ILogger logger, string clientId, string filter);

    [LoggerMessage(EventId = 5503, Level = LogLevel.Warning, Message = "MQTT publication denied: client {ClientId} published on {Topic}")]
    private static partial void LogPublishDenied(ILogger logger, string clientId, string topic);

    [LoggerMessage(EventId = 5504, Level = LogLevel.Warning, Message = "MQTT connection from {Remote} dropped: {Why}")]
    private static partial void LogMalformed(ILogger logger, string remote, string why);

    [LoggerMessage(EventId = 5507, Level = LogLevel.Information, Message = "MQTT TLS handshake with {Remote} failed: {Why}")]
    private static partial void LogHandshakeFailed(ILogger logger, EndPoint? remote, string why);

    [LoggerMessage(EventId = 5505, Level = LogLevel.Information, Message = "MQTT session of {ClientId} ended: its credential no longer holds")]
    private static partial void LogSessionEnded(ILogger logger, string clientId);

    [LoggerMessage(EventId = 5508, Level = LogLevel.Warning, Message = "MQTT connection from {Remote} closed: the broker already holds {MaxConnections} (Edge:Mqtt:MaxConnections); {Refused} closed so far")]
    private static partial void LogOverCapacity(ILogger logger, string remote, int maxConnections, long refused);

    [LoggerMessage(EventId = 5509, Level = LogLevel.Warning, Message = "MQTT client {ClientId} disconnected: it kept publishing past {PerSecond} a second (Edge:Mqtt:PublishesPerSecondPerClient)")]
    private static partial void LogFlooding(ILogger logger, string clientId, int perSecond);

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
