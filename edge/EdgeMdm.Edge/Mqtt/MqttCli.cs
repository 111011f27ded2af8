using System.CommandLine;
using EdgeMdm.Edge.Cli;

namespace EdgeMdm.Edge.Mqtt;

/// <summary><c>edgemdm-edge mqtt-clients add|list|remove</c> and <c>edgemdm-edge mqtt status</c>.</summary>
public static class MqttCli
{
    public static Command Clients(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var list = commands.Create("list", "cradles and tools that may log in to the broker (never their secrets)", [], cli =>
        {
            var clients = cli.Get<IMqttClientAdmin>().ListMqttClients();
            return cli.Print(clients, () => Table.Write(
                ["CLIENT", "ROLE", "CREATED", "BY"], clients.Select(c => new[] { c.ClientId, c.Role, CliText.Time(c.CreatedAt), c.CreatedBy })));
        });

        var removeId = new Argument<string>("id") { Description = "the client's id" };
        var remove = commands.Create("remove", "revoke a cradle's or tool's credential (a connected one is disconnected within 15 s)", [removeId], async cli =>
        {
            var clientId = cli.Result.GetValue(removeId)!;
            if (!await cli.Get<IMqttClientAdmin>().RemoveMqttClientAsync(clientId))
                throw new CliException($"no client '{clientId}'");
            Console.WriteLine($"removed {clientId}");
            return 0;
        }, json: false);
        return new Command("mqtt-clients", "broker credentials of cradles and site tools (devices log in with their own)") { Add(commands), list, remove };
    }

    private static Command Add(OperatorCommands commands)
    {
        var id = new Argument<string>("id") { Description = "the client's id, also its MQTT user name and its topic level (cradle-bay-3)" };
        var role = new Option<string>("--role") { Description = "cradle (publishes its own telemetry) or tool (reads every cradle's)", Required = true };
        return commands.Create("add", "create a broker credential for a cradle or a site tool; prints its secret once", [id, role], async cli =>
        {
            var clientId = cli.Result.GetValue(id)!;
            var clientRole = cli.Result.GetValue(role)!;
            if (!MqttTopics.IsValidClientId(clientId))
                throw new CliException($"id '{clientId}' {MqttTopics.ClientIdRule}", 2);
            if (clientId.StartsWith("dev-", StringComparison.Ordinal))
                throw new CliException($"id '{clientId}' starts with 'dev-', which device ids use", 2);
            if (!MqttClientRoles.IsKnown(clientRole))
                throw new CliException($"--role '{clientRole}' must be {MqttClientRoles.Cradle} or {MqttClientRoles.Tool}", 2);
            var secret = await cli.Get<IMqttClientAdmin>().AddMqttClientAsync(clientId, clientRole, OperatorCommands.Actor, DateTimeOffset.UtcNow)
                ?? throw new CliException($"client '{clientId}' exists already (remove it first to issue a new secret)");
            return cli.Print(new MqttClientCreated(clientId, clientRole, secret), () =>
            {
                Console.WriteLine($"client   {clientId} ({clientRole})");
                Console.WriteLine($"secret   {secret}");
                Console.WriteLine("the secret is shown only now: user name = id, password = secret");
            });
        });
    }

    public static Command Status(OperatorCommands commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var status = commands.Create("status", "the serving appliance's broker now: where, clients connected, logins, ACL denials, wakes", [], async cli =>
        {
            var metrics = await LiveMetrics.ReadAsync(cli.DataDirectory, CancellationToken.None);
            var broker = metrics.FirstOrDefault(s => string.Equals(s.Name, "edgemdm_mqtt_broker", StringComparison.Ordinal));
            if (broker is null || string.Equals(broker.Labels.GetValueOrDefault("mode"), "none", StringComparison.Ordinal))
                throw new CliException("the appliance serves no MQTT broker (serve with --mqtt-listen or --mqtt-external)");
            var now = new MqttStatus(
                broker.Labels.GetValueOrDefault("mode") ?? "", broker.Labels.GetValueOrDefault("endpoints") ?? "",
                metrics.Sum("edgemdm_mqtt_clients"),
                metrics.Sum("edgemdm_mqtt_logins_total", ("result", "accepted")), metrics.Sum("edgemdm_mqtt_logins_total", ("result", "refused")),
                metrics.Sum("edgemdm_mqtt_denials_total", ("kind", "subscribe")), metrics.Sum("edgemdm_mqtt_denials_total", ("kind", "publish")),
                metrics.Sum("edgemdm_mqtt_malformed_total"), metrics.Sum("edgemdm_mqtt_tls_handshake_failures_total"), metrics.Sum("edgemdm_wakes_total"));
            return cli.Print(now, () =>
            {
                Console.WriteLine($"mode              {now.Mode} {now.Endpoints}");
                Console.WriteLine($"connected         {CliText.Number(now.Connected)}");
                Console.WriteLine($"logins            {CliText.Number(now.LoginsAccepted)} accepted, {CliText.Number(now.LoginsRefused)} refused");
                Console.WriteLine($"denied            {CliText.Number(now.SubscribeDenied)} subscriptions, {CliText.Number(now.PublishDenied)} publications");
                Console.WriteLine($"dropped           {CliText.Number(now.MalformedDropped)} malformed connections, {CliText.Number(now.TlsHandshakesFailed)} failed TLS handshakes");
                Console.WriteLine($"wakes published   {CliText.Number(now.WakesPublished)}");
            });
        });
        return new Command("mqtt", "the site's MQTT broker") { status };
    }
}

/// <summary>
/// What <c>mqtt status</c> prints: the running broker's counters since the appliance started. <see cref="Endpoints"/>
/// lists the embedded broker's listeners as URLs (<c>mqtts://</c> for TLS, <c>mqtt://</c> for plain).
/// </summary>
public sealed record MqttStatus(
    string Mode,
    string Endpoints,
    long Connected,
    long LoginsAccepted,
    long LoginsRefused,
    long SubscribeDenied,
    long PublishDenied,
    long MalformedDropped,
    long TlsHandshakesFailed,
    long WakesPublished);
