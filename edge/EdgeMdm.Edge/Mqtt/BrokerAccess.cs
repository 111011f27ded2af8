using System.Runtime.CompilerServices;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Edge.Devices;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// The embedded broker's gate (<see cref="EmbeddedMqttBroker"/>): logins checked against the appliance's store at
/// CONNECT, and again on every revalidation round (<see cref="StillValid"/>); the topic ACL of <see cref="MqttTopics"/> and
/// the subscription cap on every subscription; a publication budget per client, then the ACL, on every publication.
/// What a session may do is kept in its session items, which no client can set.
/// </summary>
internal sealed partial class BrokerAccess(
    IOptions<MqttOptions> options,
    IDeviceCredentials devices,
    IMqttClients mqttClients,
    MqttCounters counters,
    TimeProvider clock,
    IEnumerable<ICradleTelemetrySink> cradleSinks,
    ILogger logger)
{
    /// <summary>Subscriptions one connection may make: a device needs one; the cap keeps a client from filling memory with filters.</summary>
    public const int MaxSubscriptionsPerConnection = 32;

    /// <summary>Marks a message the appliance itself injects (an LED command): no client can set session items.</summary>
    public const string ApplianceKey = "edgemdm.appliance";

    private const string PrincipalKey = "edgemdm.principal";
    private const string SubscriptionsKey = "edgemdm.subscriptions";
    private const string SecretHashKey = "edgemdm.secret-hash";
    private const string PublishBudgetKey = "edgemdm.publish-budget";

    private readonly ICradleTelemetrySink[] _cradleSinks = [.. cradleSinks];
    private MqttServer? _server;

    /// <summary>Who a session logged in as; null before its login was accepted.</summary>
    public static MqttPrincipal? PrincipalOf(System.Collections.IDictionary? sessionItems) => sessionItems?[PrincipalKey] as MqttPrincipal;

    /// <summary>Guards <paramref name="server"/>'s connections, subscriptions and publications; call before it starts.</summary>
    public void Guard(MqttServer server)
    {
        _server = server;
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        server.InterceptingPublishAsync += InterceptPublishAsync;
    }

    /// <summary>Whether the session's login holds still: a device not retired nor re-enrolled, a cradle or tool not removed.</summary>
    public bool StillValid(System.Collections.IDictionary items) => items[PrincipalKey] switch
    {
        MqttPrincipal { Role: MqttRole.Device } device => items[SecretHashKey] is string hash && devices.IsDeviceCredential(device.Id, hash),
        MqttPrincipal other => mqttClients.IsMqttClient(other.Id),
        _ => false,
    };

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

    [LoggerMessage(EventId = 5501, Level = LogLevel.Warning, Message = "MQTT login refused: user {UserName}, client {ClientId} from {Remote}: {Why}")]
    private static partial void LogLoginRefused(ILogger logger, string userName, string clientId, string remote, string why);

    [LoggerMessage(EventId = 5502, Level = LogLevel.Warning, Message = "MQTT subscription denied: client {ClientId} asked for {Filter}")]
    private static partial void LogSubscribeDenied(ILogger logger, string clientId, string filter);

    [LoggerMessage(EventId = 5503, Level = LogLevel.Warning, Message = "MQTT publication denied: client {ClientId} published on {Topic}")]
    private static partial void LogPublishDenied(ILogger logger, string clientId, string topic);

    [LoggerMessage(EventId = 5509, Level = LogLevel.Warning, Message = "MQTT client {ClientId} disconnected: it kept publishing past {PerSecond} a second (Edge:Mqtt:PublishesPerSecondPerClient)")]
    private static partial void LogFlooding(ILogger logger, string clientId, int perSecond);
}
