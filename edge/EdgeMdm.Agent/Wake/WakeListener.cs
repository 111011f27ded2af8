using System.Globalization;
using EdgeMdm.Discovery.Service;
using MQTTnet;
using MQTTnet.Protocol;
using Polly;

namespace EdgeMdm.Agent;

/// <summary>
/// Keeps one MQTT connection to the site's broker with the device credential (user name = device id, password =
/// device secret, client id = device id), subscribed to <c>edgemdm/devices/{deviceId}/wake</c>, and sets
/// <see cref="Signal"/> on every wake. A lost or refused connection is retried on
/// <see cref="AgentRetries.WakeReconnects"/> (exponential backoff with jitter, 1 s growing to 60 s); meanwhile the
/// device simply checks in on its interval. An <c>mqtts://</c> broker is reached over TLS: with a pin, only a certificate
/// for the pinned key is accepted (<see cref="TlsPin"/>, the same pin as the device API's); without one, the system's
/// usual validation.
/// </summary>
public sealed class WakeListener : IDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly string _host;
    private readonly int _port;
    private readonly string _deviceId;
    private readonly string _deviceSecret;
    private readonly bool _tls;
    private readonly string? _pin;
    private readonly ResiliencePipeline _reconnects;
    private readonly Action<string>? _log;
    private TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _connection;
    private string? _lastProblem;
    private long _wakes;
    private long _connects;

    /// <param name="broker"><c>mqtts://host:port</c> (port 8883 when absent) or <c>mqtt://host:port</c> (1883).</param>
    /// <param name="clock">The clock the reconnection backoff waits on.</param>
    /// <param name="log">Told about connection changes (not about each wake); null to stay quiet.</param>
    /// <param name="seed">Seeds the backoff's jitter, so a simulated fleet reconnects the same way on every run.</param>
    /// <param name="pin">With <c>mqtts://</c>: the appliance's TLS key pin; null for the system's validation.</param>
    public WakeListener(Uri broker, string deviceId, string deviceSecret, TimeProvider clock, Action<string>? log = null, int seed = 0, string? pin = null)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentException.ThrowIfNullOrEmpty(deviceSecret);
        if (!IsBrokerScheme(broker.Scheme))
            throw new ArgumentException($"'{broker}' is not an mqtts:// or mqtt:// URL", nameof(broker));
        _tls = string.Equals(broker.Scheme, "mqtts", StringComparison.Ordinal);
        _pin = pin;
        _host = broker.Host;
        _port = broker.IsDefaultPort || broker.Port < 1 ? (_tls ? 8883 : 1883) : broker.Port;
        _deviceId = deviceId;
        _deviceSecret = deviceSecret;
        _reconnects = AgentRetries.WakeReconnects(clock, seed);
        _log = log;
        WakeTopic = "edgemdm/devices/" + deviceId + "/wake";
        _client.ApplicationMessageReceivedAsync += message =>
        {
            if (string.Equals(message.ApplicationMessage.Topic, WakeTopic, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _wakes);
                Signal.Set();
            }

            return Task.CompletedTask;
        };
    }

    public WakeSignal Signal { get; } = new();

    public string WakeTopic { get; }

    public bool IsConnected => _client.IsConnected;

    /// <summary>Wakes received since start.</summary>
    public long Wakes => Interlocked.Read(ref _wakes);

    /// <summary>Successful connections since start (1 plus reconnections).</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>Connects, listens, reconnects; returns when <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _client.DisconnectedAsync += OnDisconnectedAsync;
        try
        {
            // One execution of the pipeline per connection, so the backoff starts again at 1 s after every
            // connection that held. Every failure is retried: cancellation is the only way out.
            while (true)
                await _reconnects.ExecuteAsync(ListenThenConnectAsync, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
        finally
        {
            _client.DisconnectedAsync -= OnDisconnectedAsync;
        }

        if (_client.IsConnected)
            await _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// The broker to listen on: <paramref name="option"/> when given (<c>none</c>: no broker), else what the enrollment
    /// answer gave; null for none. A value that is not an mqtt:// URL is no broker.
    /// </summary>
    public static Uri? BrokerFrom(string? option, string? enrolled)
    {
        var text = option ?? enrolled;
        return text is null || string.Equals(text, "none", StringComparison.Ordinal) || !IsBrokerUrl(text, out var uri) ? null : uri;
    }

    public static bool IsBrokerUrl(string text, out Uri uri) =>
        Uri.TryCreate(text, UriKind.Absolute, out uri!) && IsBrokerScheme(uri.Scheme) && uri.Host.Length > 0;

    private static bool IsBrokerScheme(string scheme) => scheme is "mqtts" or "mqtt";

    /// <summary>
    /// One attempt. With a live connection (made by the previous execution), listens on it until it is lost and
    /// fails with that loss: the reconnection then waits out the first, jittered, backoff like any retry, so a fleet
    /// that lost its broker together does not come back in the same instant. Without one, connects and subscribes.
    /// </summary>
    private async ValueTask ListenThenConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is { } connection)
        {
            _connection = null;
            await connection.WaitAsync(cancellationToken);
            _log?.Invoke("wake connection lost; checking in on the interval until it is back");
            throw new WakeConnectionLostException();
        }

        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _lost, lost);
        try
        {
            await ConnectAndSubscribeAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            if (!string.Equals(_lastProblem, e.Message, StringComparison.Ordinal))
                _log?.Invoke($"no wake connection to {_host}:{_port.ToString(CultureInfo.InvariantCulture)} ({e.Message}); retrying with backoff");
            _lastProblem = e.Message;
            throw;
        }

        _connection = lost.Task;
        _lastProblem = null;
        var reconnected = Interlocked.Increment(ref _connects) > 1;
        _log?.Invoke($"listening for wakes on {_host}:{_port.ToString(CultureInfo.InvariantCulture)}");
        // A wake may have been published while the connection was down: check in once on reconnecting. Not on
        // the first connection, so a fleet starting together keeps its spread-out first check-ins.
        if (reconnected)
            Signal.Set();
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        Volatile.Read(ref _lost).TrySetResult();
        return Task.CompletedTask;
    }

    private async Task ConnectAndSubscribeAsync(CancellationToken cancellationToken)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_host, _port)
            .WithClientId(_deviceId)
            .WithCredentials(_deviceId, _deviceSecret)
            .WithCleanSession()
            .WithTimeout(ConnectTimeout)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(60));
        if (_tls)
        {
            builder = builder.WithTlsOptions(tls =>
            {
                tls.UseTls().WithTargetHost(_host);
                // The key, not a chain: the appliance's certificate is issued by the site's own authority, which the
                // device does not hold, and renewed for the same key.
                if (_pin is { } pinned)
                    tls.WithCertificateValidationHandler(handshake => TlsPin.Matches(handshake.Certificate, pinned));
            });
        }

        var options = builder.Build();
        var connected = await _client.ConnectAsync(options, cancellationToken);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
            throw new WakeRefusedException("the broker refused the device: " + connected.ResultCode);
        var subscribed = await _client.SubscribeAsync(
            new MqttClientSubscribeOptionsBuilder().WithTopicFilter(WakeTopic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
        var code = subscribed.Items.FirstOrDefault()?.ResultCode;
        if (code is not (MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptions(), cancellationToken);
            throw new WakeRefusedException("the broker refused the wake subscription: " + code);
        }
    }
}

/// <summary>The broker answered, but refused the device's login or its subscription.</summary>
public sealed class WakeRefusedException(string message) : Exception(message);

/// <summary>A connection that was up went down: the failure that starts a reconnection (never leaves the listener).</summary>
internal sealed class WakeConnectionLostException() : Exception("the wake connection was lost");
