using System.Security.Cryptography.X509Certificates;
using EdgeMdm.Edge.SiteTls;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// Publishes wakes to an external broker (Mosquitto at a very large site) as the client <c>edgemdm-appliance</c>. The
/// connection is made on first use and again after a loss; a wake that finds no connection throws, so durable wakes
/// stay queued and are retried. With <c>mqtts://</c> the connection is TLS, and the broker's certificate must chain to the
/// site CA (and name the broker's host): the broker serves the site's own certificate, as devices expect.
/// </summary>
internal sealed class ExternalBrokerWaker(IOptions<MqttOptions> options, SiteCertificates site) : IDeviceWaker, IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly SemaphoreSlim _connecting = new(1, 1);

    public async Task WakeAsync(IReadOnlyList<WakeRequest> wakes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wakes);
        await EnsureConnectedAsync(cancellationToken);
        // All in flight at once: each waits for its PUBACK, and one at a time would cost a round trip per device.
        var results = await Task.WhenAll(wakes.Select(w => _client.PublishAsync(WakeMessage.For(w), cancellationToken)));
        if (results.FirstOrDefault(r => !r.IsSuccess) is { } refused)
            throw new IOException($"the broker refused a wake: {refused.ReasonCode}");
    }

    public (string Mode, string Endpoints) Describe() => ("external", options.Value.External ?? "");

    /// <summary>The host name was checked by TLS; the chain must lead to the site CA and nowhere else.</summary>
    private bool IssuedBySite(MqttClientCertificateValidationEventArgs handshake)
    {
        if (handshake.Certificate is null || handshake.SslPolicyErrors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch))
            return false;
        using var authority = site.Authority;
        using var presented = X509CertificateLoader.LoadCertificate(handshake.Certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
            await _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
        _client.Dispose();
        _connecting.Dispose();
    }

    private async Task EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        if (_client.IsConnected)
            return;
        await _connecting.WaitAsync(cancellationToken);
        try
        {
            if (_client.IsConnected)
                return;
            var mqtt = options.Value;
            var (host, port) = mqtt.ExternalEndPoint();
            var builder = new MqttClientOptionsBuilder()
                .WithTcpServer(host, port)
                .WithClientId("edgemdm-appliance")
                .WithCleanSession()
                .WithTimeout(TimeSpan.FromSeconds(10));
            if (mqtt.ExternalTls)
                builder = builder.WithTlsOptions(tls => tls.UseTls().WithTargetHost(host).WithCertificateValidationHandler(handshake => IssuedBySite(handshake)));
            if (!string.IsNullOrEmpty(mqtt.ExternalUserName))
                builder = builder.WithCredentials(mqtt.ExternalUserName, mqtt.ExternalLoginPassword ?? "");
            var connected = await _client.ConnectAsync(builder.Build(), cancellationToken);
            if (connected.ResultCode != MqttClientConnectResultCode.Success)
                throw new IOException($"the broker at {mqtt.External} refused the appliance: {connected.ResultCode}");
        }
        finally
        {
            _connecting.Release();
        }
    }
}
