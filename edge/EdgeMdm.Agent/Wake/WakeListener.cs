using System.Globalization;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeMdm.Agent;

/// <summary>
/// Keeps one MQTT connection to the site's broker with the device credential (user name = device id, password =
/// device secret, client id = device id), subscribed to <c>edgemdm/devices/{deviceId}/wake</c>, and sets
/// <see cref="Signal"/> on every wake. A lost or refused connection is retried with exponential backoff and full
/// jitter (1 s doubling to <see cref="MaxBackoff"/>); meanwhile the device simply checks in on its interval.
/// </summary>
public sealed class WakeListener : IDisposable
{
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly string _host;
    private readonly int _port;
    private readonly string _deviceId;
    private readonly string _deviceSecret;
    private readonly TimeProvider _clock;
    private readonly Random _jitter;
    private readonly Action<string>? _log;
    private long _wakes;
    private long _connects;

    /// <param name="broker"><c>mqtt://host:port</c> (port 1883 when absent).</param>
    /// <param name="log">Told about connection changes (not about each wake); null to stay quiet.</param>
    public WakeListener(Uri broker, string deviceId, string deviceSecret, TimeProvider clock, Action<string>? log = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentException.ThrowIfNullOrEmpty(deviceSecret);
        if (!string.Equals(broker.Scheme, "mqtt", StringComparison.Ordinal))
            throw new ArgumentException($"'{broker}' is not an mqtt:// URL", nameof(broker));
        _host = broker.Host;
        _port = broker.IsDefaultPort || broker.Port < 1 ? 1883 : broker.Port;
        _deviceId = deviceId;
        _deviceSecret = deviceSecret;
        _clock = clock;
        _jitter = new Random(seed);
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
        var backoff = FirstBackoff;
        string? lastProblem = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task OnDisconnected(MqttClientDisconnectedEventArgs e)
            {
                lost.TrySetResult();
                return Task.CompletedTask;
            }

            _client.DisconnectedAsync += OnDisconnected;
            try
            {
                await ConnectAndSubscribeAsync(cancellationToken);
                var reconnected = Interlocked.Increment(ref _connects) > 1;
                _log?.Invoke($"listening for wakes on {_host}:{_port.ToString(CultureInfo.InvariantCulture)}");
                lastProblem = null;
                backoff = FirstBackoff;
                // A wake may have been published while the connection was down: check in once on reconnecting. Not on
                // the first connection, so a fleet starting together keeps its spread-out first check-ins.
                if (reconnected)
                    Signal.Set();
                await lost.Task.WaitAsync(cancellationToken);
                _log?.Invoke("wake connection lost; checking in on the interval until it is back");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // Whatever the broker or the network did, the device carries on checking in on its interval: wakes only
                // make it quicker, so the listener never gives up and never takes the agent down.
                if (!string.Equals(lastProblem, e.Message, StringComparison.Ordinal))
                    _log?.Invoke($"no wake connection to {_host}:{_port.ToString(CultureInfo.InvariantCulture)} ({e.Message}); retrying with backoff");
                lastProblem = e.Message;
            }
            finally
            {
                _client.DisconnectedAsync -= OnDisconnected;
            }

            try
            {
                await Task.Delay(backoff * _jitter.NextDouble(), _clock, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            backoff = backoff * 2 > MaxBackoff ? MaxBackoff : backoff * 2;
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
        Uri.TryCreate(text, UriKind.Absolute, out uri!) && string.Equals(uri.Scheme, "mqtt", StringComparison.Ordinal) && uri.Host.Length > 0;

    private async Task ConnectAndSubscribeAsync(CancellationToken cancellationToken)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(_host, _port)
            .WithClientId(_deviceId)
            .WithCredentials(_deviceId, _deviceSecret)
            .WithCleanSession()
            .WithTimeout(ConnectTimeout)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
            .Build();
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
