using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EdgeMdm.Contracts.Cradles;
using EdgeMdm.Domain.Floor;
using EdgeMdm.Edge.Cli;
using EdgeMdm.Edge.Mqtt;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeMdm.Edge.Cradles;

/// <summary>
/// <c>edgemdm-edge simulate-cradle</c>: a networked smart cradle on the appliance's broker, logged in as the cradle
/// (<c>mqtt-clients add ID --role cradle</c>), publishing each slot's telemetry with the shared codec every interval and
/// printing the LED commands it is sent. With <c>--follow-devices</c> its slots hold the devices that report being
/// docked in it (read from the data directory).
/// </summary>
public static class CradleSimulator
{
    public static Command Command(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var cradle = new Option<string>("--cradle") { Description = "the cradle's id: its broker login and topic level", Required = true };
        var secret = new Option<string>("--secret") { Description = "its broker password, as 'mqtt-clients add ID --role cradle' printed it", Required = true };
        var broker = new Option<string>("--broker") { Description = "the broker (default mqtts://127.0.0.1:8883)", DefaultValueFactory = _ => "mqtts://127.0.0.1:8883" };
        var ca = new Option<string>("--ca") { Description = "PEM of the CA the broker's certificate is issued by (default DATA/tls/site-ca.pem)" };
        var slots = new Option<int>("--slots") { Description = "slots (default 10)", DefaultValueFactory = _ => 10 };
        var interval = new Option<string>("--interval") { Description = "between two rounds of telemetry (default 5s)", DefaultValueFactory = _ => "5s" };
        var duration = new Option<string>("--duration") { Description = "stop after this long (default: until Ctrl+C)" };
        var follow = new Option<bool>("--follow-devices") { Description = "hold the devices that report being docked in this cradle, in their slots" };
        var seed = new Option<int>("--seed") { Description = "random seed (default: the cradle id's)" };
        return commands.Create(
            "simulate-cradle",
            "a simulated networked cradle: publishes slot telemetry (devices and spare batteries charging, inserts, removals, faults) and prints its LED commands",
            [cradle, secret, broker, ca, slots, interval, duration, follow, seed],
            async cli =>
            {
                var run = new SimulatorRun(
                    cli.Result.GetValue(cradle)!, cli.Result.GetValue(secret)!, new Uri(cli.Result.GetValue(broker)!),
                    cli.Result.GetValue(ca) ?? Path.Combine(cli.DataDirectory, "tls", "site-ca.pem"),
                    cli.Result.GetValue(slots),
                    CliText.Duration(cli.Result.GetValue(interval)!, "--interval"),
                    cli.Result.GetValue(duration) is { } d ? CliText.Duration(d, "--duration") : null,
                    cli.Result.GetValue(follow) ? () => Docked(cli.Get<CradleStore>(), cli.Result.GetValue(cradle)!) : null,
                    cli.Result.GetResult(seed) is null ? StableSeed(cli.Result.GetValue(cradle)!) : cli.Result.GetValue(seed));
                return await run.RunAsync(Console.Out);
            },
            json: false);
    }

    private static int StableSeed(string text) => text.Aggregate(17, (hash, c) => unchecked((hash * 31) + c));

    private static IReadOnlyList<DockedDevice> Docked(CradleStore store, string cradleId) =>
        [.. store.Observations()
            .Where(o => o.Observation.Source == SlotSource.Device && string.Equals(o.CradleId, cradleId, StringComparison.Ordinal) && o.Observation.Serial is not null)
            .Select(o => new DockedDevice(o.Slot, o.Observation.Serial!, o.Observation.ChargePercent))];
}

/// <summary>One run of the simulator: connect, subscribe to the LED topics, publish every interval until the duration ends.</summary>
internal sealed class SimulatorRun(
    string cradleId, string secret, Uri broker, string caFile, int slots, TimeSpan interval, TimeSpan? duration,
    Func<IReadOnlyList<DockedDevice>>? docked, int seed)
{
    public async Task<int> RunAsync(TextWriter output)
    {
        if (!MqttTopics.IsValidClientId(cradleId))
            throw new CliException($"--cradle '{cradleId}' {MqttTopics.ClientIdRule}", 2);
        if (slots is < 1 or > CradleOptionsValidator.MaxSlots)
            throw new CliException($"--slots must be 1-{CradleOptionsValidator.MaxSlots}", 2);
        using var stop = duration is { } d ? new CancellationTokenSource(d) : new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            using var client = new MqttClientFactory().CreateMqttClient();
            client.ApplicationMessageReceivedAsync += received =>
            {
                var topic = received.ApplicationMessage.Topic;
                var state = Encoding.UTF8.GetString(received.ApplicationMessage.Payload);
                lock (output)
                    output.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} {topic}: LED {state}");
                return Task.CompletedTask;
            };
            await ConnectAsync(client, stop.Token);
            output.WriteLine($"cradle {cradleId}: {slots} slots on {broker}, every {interval.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s");
            await PublishUntilStoppedAsync(client, output, stop.Token);
            if (client.IsConnected)
                await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private async Task PublishUntilStoppedAsync(IMqttClient client, TextWriter output, CancellationToken stop)
    {
        var simulation = new CradleSimulation(cradleId, slots, seed);
        var rounds = 0;
        while (!stop.IsCancellationRequested)
        {
            simulation.Step(rounds == 0 ? TimeSpan.Zero : interval, docked?.Invoke());
            for (var slot = 1; slot <= slots; slot++)
            {
                var payload = CradleTelemetryCodec.Encode(simulation.Telemetry(slot), out var error) ?? throw new InvalidOperationException(error);
                var message = new MqttApplicationMessageBuilder().WithTopic(SlotTopic(slot)).WithPayload(payload)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                await client.PublishAsync(message, CancellationToken.None);
            }

            rounds++;
            lock (output)
                output.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} round {rounds.ToString(CultureInfo.InvariantCulture)}: {Summary(simulation)}");
            try
            {
                await Task.Delay(interval, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task ConnectAsync(IMqttClient client, CancellationToken stop)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port > 0 ? broker.Port : 8883)
            .WithClientId(cradleId)
            .WithCredentials(cradleId, secret)
            .WithCleanSession()
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (string.Equals(broker.Scheme, "mqtts", StringComparison.Ordinal))
        {
            if (!File.Exists(caFile))
                throw new CliException($"no CA certificate at {caFile} (pass --ca)");
            using var authority = X509CertificateLoader.LoadCertificateFromFile(caFile);
            var raw = authority.RawData;
            builder = builder.WithTlsOptions(tls => tls.UseTls().WithTargetHost(broker.Host).WithCertificateValidationHandler(handshake => IssuedBy(raw, handshake)));
        }

        MqttClientConnectResult connected;
        try
        {
            connected = await client.ConnectAsync(builder.Build(), stop);
        }
        catch (Exception exception) when (exception is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
            throw new CliException($"cannot reach the broker at {broker}: {exception.Message}");
        }

        if (connected.ResultCode != MqttClientConnectResultCode.Success)
            throw new CliException($"the broker at {broker} refused cradle {cradleId}: {connected.ResultCode}");
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter($"{MqttTopics.Root}/{MqttTopics.Cradles}/{cradleId}/slots/+/led", MqttQualityOfServiceLevel.AtLeastOnce).Build(), stop);
    }

    private string SlotTopic(int slot) => $"{MqttTopics.Root}/{MqttTopics.Cradles}/{cradleId}/slots/{slot.ToString(CultureInfo.InvariantCulture)}";

    private static bool IssuedBy(byte[] authorityRaw, MqttClientCertificateValidationEventArgs handshake)
    {
        if (handshake.Certificate is null || handshake.SslPolicyErrors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch))
            return false;
        using var authority = X509CertificateLoader.LoadCertificate(authorityRaw);
        using var presented = X509CertificateLoader.LoadCertificate(handshake.Certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }

    private static string Summary(CradleSimulation simulation)
    {
        var parts = new List<string>();
        for (var slot = 1; slot <= simulation.SlotCount; slot++)
        {
            var t = simulation.Telemetry(slot);
            parts.Add(t.Occupied ? $"{slot}:{t.Content[0]}{t.Battery.ToString(CultureInfo.InvariantCulture)}%{(t.Fault is null ? "" : "!")}" : $"{slot}:-");
        }

        return string.Join(' ', parts);
    }
}
