using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeMdm.Agent;
using EdgeMdm.Testing;
using MQTTnet;
using MQTTnet.Protocol;
using static EdgeMdm.Bench.BenchProcesses;

namespace EdgeMdm.Bench;

/// <summary>
/// The wake scenario (issue 5): the appliance with its embedded broker, N enrolled devices each connected with its
/// device credential and subscribed to its wake topic, and one <c>edgemdm-edge commands send --group pickers ring</c>
/// that queues a command, hence a QoS 1 wake, for every one of them; each device checks in when woken. In the same
/// run Debian's Mosquitto delivers N QoS 1 messages, one per topic, from one publisher to N subscribers of the same
/// MQTT client code. After one unmeasured warm-up round each, rounds alternate Mosquitto, appliance, ...
/// </summary>
internal sealed class WakeRun
{
    /// <summary>The enrollment token and group of <c>edge/demo/site-seed.yaml</c>.</summary>
    private const string DemoToken = "demo-pickers-token-2026";
    private const string Group = "pickers";
    private const int Rounds = 3;
    private const int EnrollConcurrency = 8;

    /// <summary>Check-ins in flight at once from this process: every device's own connection would need 5,000 more descriptors.</summary>
    private const int MaxHttpConnections = 1000;
    private static readonly TimeSpan RoundLimit = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan BetweenRounds = TimeSpan.FromSeconds(2);
    private static readonly byte[] WakePayload = Encoding.UTF8.GetBytes("""{"reason":"command"}""");

    private readonly BenchOptions _options;
    private readonly TextWriter _log;

    private WakeRun(BenchOptions options, TextWriter log)
    {
        _options = options;
        _log = log;
    }

    public static Task<WakeResult> RunAsync(string edgeDll, string seed, BenchOptions options, TextWriter log, CancellationToken cancellationToken)
        => InWorkDirectoryAsync("edgemdm-bench-wake-", log, work => new WakeRun(options, log).RunAsync(edgeDll, seed, work, cancellationToken));

    private async Task<WakeResult> RunAsync(string edgeDll, string seed, string work, CancellationToken cancellationToken)
    {
        var agents = _options.WakeAgents;
        var httpConnections = Math.Min(agents, MaxHttpConnections);
        // Two MQTT connections per device in this process (appliance and Mosquitto), the check-ins' connections, and
        // the runtime's own files. .NET raises the soft limit to the hard limit at start-up; this says so when that is
        // still too low instead of failing with EMFILE half-way.
        OpenFileLimit.Require((2 * agents) + httpConnections + 512, "the bench (two MQTT connections per agent and the check-ins' connections)");

        // ---- the appliance with its broker, N devices enrolled ----
        var dataDir = Path.Combine(work, "site");
        var url = ServerProcess.FreeLoopbackUrl();
        var mqttPort = ServerProcess.FreeLoopbackUrl().Port;
        var broker = new Uri($"mqtt://127.0.0.1:{mqttPort.ToString(CultureInfo.InvariantCulture)}");
        _log.WriteLine($"edgemdm-bench: wake: appliance on {url}, broker on {broker}");
        string[] serve = ["serve", "--data-dir", dataDir, "--seed", seed, "--urls", Text(url), "--mqtt-listen", $"127.0.0.1:{mqttPort.ToString(CultureInfo.InvariantCulture)}"];
        await using var appliance = await StartAsync("appliance", edgeDll, serve, url, cancellationToken);
        using var handler = AgentHttp.CreateHandler(httpConnections);
        using var http = AgentHttp.CreateClient(handler, url, TimeSpan.FromMinutes(2));
        var api = new DeviceApiClient(http);
        var started = Stopwatch.GetTimestamp();
        var devices = await EnrollAsync(api, agents, cancellationToken);
        var enrollSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        _log.WriteLine($"  wake: {agents} devices enrolled in {enrollSeconds:0.0} s");

        // ---- resident memory of the appliance before and after N connections ----
        await Task.Delay(Settle, cancellationToken);
        var applianceBefore = appliance.Sample().RssBytes;
        await using var fleet = new WakeFleet("the appliance's broker", broker, devices, api);
        started = Stopwatch.GetTimestamp();
        await fleet.ConnectAsync(_log, cancellationToken);
        var connectSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await Task.Delay(Settle, cancellationToken);
        var applianceAfter = appliance.Sample().RssBytes;

        // ---- Mosquitto with N subscribers of the same client code ----
        await using var mosquitto = await MosquittoProcess.StartAsync(Path.Combine(work, "mosquitto"), agents, cancellationToken);
        await Task.Delay(Settle, cancellationToken);
        var mosquittoBefore = mosquitto.ResidentBytes();
        await using var subscribers = new WakeFleet("Mosquitto", mosquitto.Url, devices, api: null);
        await subscribers.ConnectAsync(_log, cancellationToken);
        await Task.Delay(Settle, cancellationToken);
        var mosquittoAfter = mosquitto.ResidentBytes();
        using var publisher = await ConnectPublisherAsync(mosquitto.Url, cancellationToken);

        var (mosquittoWarmup, applianceWarmup, mosquittoRounds, applianceRounds, wakeOnlyRounds) =
            await RoundsAsync(new WakeSide(fleet, () => appliance.Sample().Cpu, () => appliance.ThreadCpu(LoadRun.DatabaseWriterThread)), new WakeSide(subscribers, mosquitto.ProcessorTime, Writer: null), publisher, devices, edgeDll, dataDir, cancellationToken);
        if (fleet.LastError is { } error)
            _log.WriteLine($"  wake: last error: {error}");
        return new WakeResult(
            agents, httpConnections, mosquitto.Version, enrollSeconds, connectSeconds,
            new ResidentGrowth(applianceBefore, applianceAfter), new ResidentGrowth(mosquittoBefore, mosquittoAfter),
            mosquittoWarmup, applianceWarmup, mosquittoRounds, applianceRounds, wakeOnlyRounds,
            fleet.Errors + subscribers.Errors, fleet.StrayWakes + subscribers.StrayWakes);
    }

    /// <summary>A warm-up round each, then <see cref="Rounds"/> measured rounds alternating Mosquitto and the appliance.</summary>
    private async Task<(WakeRound MosquittoWarmup, WakeRound ApplianceWarmup, List<WakeRound> Mosquitto, List<WakeRound> Appliance, List<WakeRound> WakeOnly)> RoundsAsync(
        WakeSide fleet, WakeSide subscribers, IMqttClient publisher, List<WakeDevice> devices, string edgeDll, string dataDir, CancellationToken cancellationToken)
    {
        var mosquittoWarmup = await MosquittoRoundAsync(subscribers, publisher, devices, "warm-up", cancellationToken);
        var applianceWarmup = await ApplianceRoundAsync(fleet, edgeDll, dataDir, devices.Count, "warm-up", checkIn: true, cancellationToken);
        var mosquitto = new List<WakeRound>();
        var appliance = new List<WakeRound>();
        var wakeOnly = new List<WakeRound>();
        for (var round = 1; round <= Rounds; round++)
        {
            var label = round.ToString(CultureInfo.InvariantCulture);
            mosquitto.Add(await MosquittoRoundAsync(subscribers, publisher, devices, label, cancellationToken));
            appliance.Add(await ApplianceRoundAsync(fleet, edgeDll, dataDir, devices.Count, label, checkIn: true, cancellationToken));
            wakeOnly.Add(await ApplianceRoundAsync(fleet, edgeDll, dataDir, devices.Count, label, checkIn: false, cancellationToken));
        }

        return (mosquittoWarmup, applianceWarmup, mosquitto, appliance, wakeOnly);
    }

    private static async Task<List<WakeDevice>> EnrollAsync(DeviceApiClient api, int count, CancellationToken cancellationToken)
    {
        var devices = new WakeDevice[count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = EnrollConcurrency, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                var serial = "WAKE" + i.ToString("D5", CultureInfo.InvariantCulture);
                var enrolled = await api.EnrollAsync(BenchDevice.EnrollRequest(serial, DemoToken), token);
                devices[i] = new WakeDevice(enrolled.DeviceId, enrolled.DeviceSecret, new BenchDevice(serial, enrolled.DeviceSecret, new Random(i)));
            });
        return [.. devices];
    }

    /// <summary>
    /// <c>edgemdm-edge commands send --group pickers ring</c> as its own process on the serving appliance's data
    /// directory: the appliance's dispatcher sees the queued wakes within its 50 ms poll and publishes them.
    /// Without <paramref name="checkIn"/> the devices only take their wakes: the broker's delivery alone.
    /// </summary>
    private async Task<WakeRound> ApplianceRoundAsync(WakeSide side, string edgeDll, string dataDir, int agents, string label, bool checkIn, CancellationToken cancellationToken)
    {
        await Task.Delay(BetweenRounds, cancellationToken);
        var fleet = side.Fleet;
        var cpuBefore = side.Cpu();
        var writerBefore = side.Writer!();
        var round = fleet.OpenRound(checkIn);
        var started = Stopwatch.GetTimestamp();
        var commandIds = await RunCommandAsync(edgeDll, ["commands", "send", "--group", Group, "ring", "--data-dir", dataDir], cancellationToken);
        var queuedAt = Stopwatch.GetTimestamp();
        var queued = commandIds.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        if (queued != agents)
            throw new ServerStartException($"commands send queued {queued} commands for group {Group}, expected {agents}");
        await WaitRoundAsync(round.AllWoken.Task, () => $"the appliance's wakes (round {label}): {round.WokenCount} of {agents} woken", cancellationToken);
        await WaitRoundAsync(round.AllCheckedIn.Task, () => $"the woken devices' check-ins (round {label}): {round.CheckedInCount} of {agents} answered", cancellationToken);
        fleet.CloseRound();
        var cpu = (side.Cpu() - cpuBefore).TotalSeconds;
        var writer = (side.Writer!() - writerBefore).TotalSeconds;
        // The dispatcher may publish between the commit and the CLI's exit: the wakes were queued by the first one at the latest.
        var origin = Math.Min(queuedAt, round.FirstWoken);
        var measured = new WakeRound(
            checkIn ? "appliance" : "appliance, wakes only", label, agents, Seconds(started, queuedAt), Seconds(origin, round.FirstWoken), Seconds(origin, round.HalfWoken),
            Seconds(origin, round.LastWoken), checkIn ? Seconds(origin, round.LastCheckedIn) : null, cpu, writer);
        var checkedIn = measured.CheckinSeconds is { } seconds ? Invariant($", all checked in {seconds:0.000} s") : "";
        _log.WriteLine(Invariant($"  wake: {measured.Broker} round {label}: queued by the CLI in {measured.QueueSeconds:0.00} s, all woken {measured.DeliverySeconds:0.000} s{checkedIn} later"));
        return measured;
    }

    /// <summary>One publisher sends the N QoS 1 messages as fast as it can: all at once, each awaiting its PUBACK.</summary>
    private async Task<WakeRound> MosquittoRoundAsync(WakeSide side, IMqttClient publisher, List<WakeDevice> devices, string label, CancellationToken cancellationToken)
    {
        await Task.Delay(BetweenRounds, cancellationToken);
        var subscribers = side.Fleet;
        var cpuBefore = side.Cpu();
        var round = subscribers.OpenRound(checkIn: false);
        var messages = devices.Select(d => new MqttApplicationMessageBuilder()
            .WithTopic("edgemdm/devices/" + d.DeviceId + "/wake")
            .WithPayload(WakePayload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build()).ToList();
        var started = Stopwatch.GetTimestamp();
        var publishes = messages.Select(m => publisher.PublishAsync(m, cancellationToken)).ToList();
        var acknowledged = await Task.WhenAll(publishes).WaitAsync(RoundLimit, cancellationToken);
        var publishedAt = Stopwatch.GetTimestamp();
        if (acknowledged.FirstOrDefault(a => !a.IsSuccess) is { } refused)
            throw new ServerStartException($"Mosquitto refused a publication: {refused.ReasonCode}");
        await WaitRoundAsync(round.AllWoken.Task, () => $"Mosquitto's deliveries (round {label}): {round.WokenCount} of {devices.Count} received", cancellationToken);
        subscribers.CloseRound();
        var cpu = (side.Cpu() - cpuBefore).TotalSeconds;
        var measured = new WakeRound(
            "Mosquitto", label, devices.Count, Seconds(started, publishedAt), Seconds(started, round.FirstWoken), Seconds(started, round.HalfWoken), Seconds(started, round.LastWoken), CheckinSeconds: null, cpu, WriterCpuSeconds: null);
        _log.WriteLine(Invariant($"  wake: Mosquitto round {label}: all acknowledged {measured.QueueSeconds:0.000} s, all received {measured.DeliverySeconds:0.000} s after the first publish"));
        return measured;
    }

    private static async Task WaitRoundAsync(Task done, Func<string> progress, CancellationToken cancellationToken)
    {
        try
        {
            await done.WaitAsync(RoundLimit, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new ServerStartException($"timed out after {RoundLimit.TotalSeconds:0} s waiting for {progress()}", e);
        }
    }

    private static async Task<IMqttClient> ConnectPublisherAsync(Uri broker, CancellationToken cancellationToken)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port)
            .WithClientId("edgemdm-bench-publisher")
            .WithCleanSession()
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        var connected = await client.ConnectAsync(options, cancellationToken);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            client.Dispose();
            throw new ServerStartException("Mosquitto refused the publisher: " + connected.ResultCode);
        }

        return client;
    }

    private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A process's resident memory before and after the N connections were made.</summary>
internal sealed record ResidentGrowth(long Before, long After)
{
    public double PerConnectionBytes(int connections) => Math.Max(0, After - Before) / (double)connections;
}

/// <summary>
/// One round of one broker. Times in seconds from the origin: the appliance's is the wakes being queued (the CLI's
/// exit, or the first wake if that came sooner), Mosquitto's the first publication.
/// </summary>
/// <param name="QueueSeconds">Appliance: the <c>commands send</c> process, start to exit. Mosquitto: until every PUBACK.</param>
/// <param name="FirstDeliverySeconds">Until the first device had its message.</param>
/// <param name="HalfDeliverySeconds">Until half the devices had theirs.</param>
/// <param name="DeliverySeconds">Until every device had its message: the figure held against the target.</param>
/// <param name="CheckinSeconds">Until every device's check-in was answered (the appliance only).</param>
/// <param name="BrokerCpuSeconds">CPU time the broker's process used in the round (the appliance's includes its check-ins).</param>
/// <param name="WriterCpuSeconds">Appliance: CPU time of its single database writer thread in the round, the serial part of the check-ins.</param>
internal sealed record WakeRound(
    string Broker, string Label, int Messages, double QueueSeconds, double FirstDeliverySeconds, double HalfDeliverySeconds, double DeliverySeconds, double? CheckinSeconds,
    double BrokerCpuSeconds, double? WriterCpuSeconds);

/// <summary>One broker's devices and how to read its process's CPU time (and, for the appliance, its database writer's).</summary>
internal sealed record WakeSide(WakeFleet Fleet, Func<TimeSpan> Cpu, Func<TimeSpan>? Writer);

/// <summary>What the wake scenario measured.</summary>
internal sealed record WakeResult(
    int Agents, int HttpConnections, string MosquittoVersion, double EnrollSeconds, double ConnectSeconds,
    ResidentGrowth Appliance, ResidentGrowth Mosquitto, WakeRound MosquittoWarmup, WakeRound ApplianceWarmup,
    IReadOnlyList<WakeRound> MosquittoRounds, IReadOnlyList<WakeRound> ApplianceRounds, IReadOnlyList<WakeRound> WakeOnlyRounds, long Errors, long StrayWakes);
