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
        var status = commands.Create("status", "the broker as the serving appliance last reported it: where, clients connected, logins, ACL denials, wakes", [], cli =>
        {
            var stats = cli.Get<IMqttStatsStore>().MqttStats() ?? throw new CliException("no MQTT broker has run on this data directory (serve with --mqtt-listen or --mqtt-external)");
            return cli.Print(stats, () =>
            {
                Console.WriteLine($"mode              {stats.Mode} {stats.Endpoints}");
                Console.WriteLine($"since             {CliText.Time(stats.StartedAt)} (updated {CliText.Time(stats.UpdatedAt)})");
                Console.WriteLine($"connected         {CliText.Number(stats.Connected)}");
                Console.WriteLine($"logins            {CliText.Number(stats.LoginsAccepted)} accepted, {CliText.Number(stats.LoginsRefused)} refused");
                Console.WriteLine($"denied            {CliText.Number(stats.SubscribeDenied)} subscriptions, {CliText.Number(stats.PublishDenied)} publications");
                Console.WriteLine($"dropped           {CliText.Number(stats.MalformedDropped)} malformed connections");
                Console.WriteLine($"wakes published   {CliText.Number(stats.WakesPublished)}");
            });
        });
        return new Command("mqtt", "the site's MQTT broker") { status };
    }
}
