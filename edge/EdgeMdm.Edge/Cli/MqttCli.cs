using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Cli;

/// <summary><c>edgemdm-edge mqtt-clients add|list|remove</c> and <c>edgemdm-edge mqtt status</c>.</summary>
internal static class MqttCli
{
    public static Command Clients(Func<Option<string>> dataDirOption, Func<Option<bool>> jsonOption, Func<string, int, SqliteEdgeStore> open, string actor)
    {
        var add = AddClient(dataDirOption(), jsonOption(), open, actor);

        var listDataDir = dataDirOption();
        var listJson = jsonOption();
        var list = new Command("list", "cradles and tools that may log in to the broker (never their secrets)") { listDataDir, listJson };
        list.SetAction(async result =>
        {
            await using var store = open(result.GetValue(listDataDir)!, 60);
            var clients = store.ListMqttClients().ToList();
            if (result.GetValue(listJson))
                Console.WriteLine(JsonSerializer.Serialize(clients, EdgeJson.Default.ListMqttClientRecord));
            else
                Table.Write(["CLIENT", "ROLE", "CREATED", "BY"], clients.Select(c => new[] { c.ClientId, c.Role, Time(c.CreatedAt), c.CreatedBy }));
            return 0;
        });

        var removeId = new Argument<string>("id") { Description = "the client's id" };
        var removeDataDir = dataDirOption();
        var remove = new Command("remove", "revoke a cradle's or tool's credential (a connected one is disconnected within 15 s)") { removeId, removeDataDir };
        remove.SetAction(async result =>
        {
            await using var store = open(result.GetValue(removeDataDir)!, 60);
            var clientId = result.GetValue(removeId)!;
            if (!await store.RemoveMqttClientAsync(clientId))
                throw new CliException($"no client '{clientId}'");
            Console.WriteLine($"removed {clientId}");
            return 0;
        });
        return new Command("mqtt-clients", "broker credentials of cradles and site tools (devices log in with their own)") { add, list, remove };
    }

    private static Command AddClient(Option<string> dataDir, Option<bool> json, Func<string, int, SqliteEdgeStore> open, string actor)
    {
        var id = new Argument<string>("id") { Description = "the client's id, also its MQTT user name and its topic level (cradle-bay-3)" };
        var role = new Option<string>("--role") { Description = "cradle (publishes its own telemetry) or tool (reads every cradle's)", Required = true };
        var add = new Command("add", "create a broker credential for a cradle or a site tool; prints its secret once") { id, role, dataDir, json };
        add.SetAction(async result =>
        {
            var clientId = result.GetValue(id)!;
            var clientRole = result.GetValue(role)!;
            if (!MqttTopics.IsValidClientId(clientId))
                throw new CliException($"id '{clientId}' {MqttTopics.ClientIdRule}", 2);
            if (clientId.StartsWith("dev-", StringComparison.Ordinal))
                throw new CliException($"id '{clientId}' starts with 'dev-', which device ids use", 2);
            if (!MqttClientRoles.IsKnown(clientRole))
                throw new CliException($"--role '{clientRole}' must be {MqttClientRoles.Cradle} or {MqttClientRoles.Tool}", 2);
            await using var store = open(result.GetValue(dataDir)!, 60);
            var secret = await store.AddMqttClientAsync(clientId, clientRole, actor, DateTimeOffset.UtcNow)
                ?? throw new CliException($"client '{clientId}' exists already (remove it first to issue a new secret)");
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new MqttClientCreated(clientId, clientRole, secret), EdgeJson.Default.MqttClientCreated));
            }
            else
            {
                Console.WriteLine($"client   {clientId} ({clientRole})");
                Console.WriteLine($"secret   {secret}");
                Console.WriteLine("the secret is shown only now: user name = id, password = secret");
            }

            return 0;
        });
        return add;
    }

    public static Command Status(Func<Option<string>> dataDirOption, Func<Option<bool>> jsonOption, Func<string, int, SqliteEdgeStore> open)
    {
        var dataDir = dataDirOption();
        var json = jsonOption();
        var status = new Command("status", "the broker as the serving appliance last reported it: where, clients connected, logins, ACL denials, wakes") { dataDir, json };
        status.SetAction(async result =>
        {
            await using var store = open(result.GetValue(dataDir)!, 60);
            var stats = store.MqttStats() ?? throw new CliException("no MQTT broker has run on this data directory (serve with --mqtt-listen or --mqtt-external)");
            if (result.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(stats, EdgeJson.Default.MqttStats));
                return 0;
            }

            Console.WriteLine($"mode              {stats.Mode} {stats.Endpoints}");
            Console.WriteLine($"since             {Time(stats.StartedAt)} (updated {Time(stats.UpdatedAt)})");
            Console.WriteLine($"connected         {Number(stats.Connected)}");
            Console.WriteLine($"logins            {Number(stats.LoginsAccepted)} accepted, {Number(stats.LoginsRefused)} refused");
            Console.WriteLine($"denied            {Number(stats.SubscribeDenied)} subscriptions, {Number(stats.PublishDenied)} publications");
            Console.WriteLine($"dropped           {Number(stats.MalformedDropped)} malformed connections");
            Console.WriteLine($"wakes published   {Number(stats.WakesPublished)}");
            return 0;
        });
        return new Command("mqtt", "the site's MQTT broker") { status };
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
