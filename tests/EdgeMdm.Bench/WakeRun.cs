using MQTTnet;
using MQTTnet.Protocol;
using static EdgeMdm.Bench.BenchProcesses;

namespace EdgeMdm.Bench;

/// <summary>
/// The wake scenario (issue 5): the appliance with its embedded broker, N enrolled devices each connected with its
/// device credential and subscribed to its wake topic, and one <c>edgemdm-edge commands send --group pickers ring</c>
/// that queues a command, hence a QoS 1 wake, for every one of them; each device checks in when woken. In the same
/// run Debian's Mosquitto delivers N QoS 1 messages, one per topic, from one publisher to N subscribers of the same
/// MQTT client code; and a copy of the same site, configured with that Mosquitto as its broker, wakes the same
/// devices there, who check in with it: the whole wake → check-in path with Mosquitto in place of the embedded
/// broker. After one unmeasured warm-up round each, rounds alternate Mosquitto, appliance, ...
/// </summary>
internal sealed class WakeRun(BenchOptions options, TextWriter log)
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

    public static Task<WakeResult> RunAsync(string edgeDll, string seed, BenchOptions options, TextWriter log, CancellationToken cancellationToken)
        => InWorkDirectoryAsync("edgemdm-bench-wake-", log, work => new WakeRun(options, log).RunAsync(edgeDll, seed, work, cancellationToken));

    private async Task<WakeResult> RunAsync(string edgeDll, string seed, string work, CancellationToken cancellationToken)
    {
        var agents = options.WakeAgents;
        var httpConnections = Math.Min(agents, MaxHttpConnections);
        // Two MQTT connections per device (appliance, Mosquitto), both appliances' check-ins, the runtime's own files:
        // .NET raises the soft limit to the hard one at start-up; this says so if that is too low, not EMFILE half-way.
        OpenFileLimit.Require((2 * agents) + (2 * httpConnections) + 512, "the bench (two MQTT connections per agent and the check-ins' connections)");

        // ---- N devices enrolled, then the site copied: one appliance embeds the broker, the other uses Mosquitto ----
        var dataDir = Path.Combine(work, "site");
        var externalDir = Path.Combine(work, "site-mosquitto");
        var url = ServerProcess.FreeLoopbackUrl();
        var mqttPort = ServerProcess.FreeLoopbackUrl().Port;
        var broker = new Uri($"mqtt://127.0.0.1:{mqttPort.ToString(CultureInfo.InvariantCulture)}");
        log.WriteLine($"edgemdm-bench: wake: appliance on {url}, broker on {broker}");
        // Plain MQTT on both sides, so the embedded broker is measured against Mosquitto's plain listener like for like.
        string[] serve = ["serve", "--data-dir", dataDir, "--seed", seed, "--urls", Text(url), "--mqtt-listen-plain", $"127.0.0.1:{mqttPort.ToString(CultureInfo.InvariantCulture)}"];
        using var handler = AgentHttp.CreateHandler(httpConnections);
        using var http = AgentHttp.CreateClient(handler, url, TimeSpan.FromMinutes(2));
        var api = new DeviceApiClient(http);
        var (devices, enrollSeconds) = await EnrollAsync(edgeDll, serve, url, api, agents, cancellationToken);
        // The process is gone (killed: what it committed is in the database and its log), so the copy is the same site.
        CopyDirectory(dataDir, externalDir);

        // ---- resident memory of the appliance before and after N connections ----
        await using var appliance = await StartAsync("appliance", edgeDll, serve, url, cancellationToken);
        await using var fleet = new WakeFleet("the appliance's broker", broker, devices, api);
        var (applianceGrowth, connectSeconds) = await ConnectAsync(fleet, () => appliance.Sample().RssBytes, cancellationToken);

        // ---- Mosquitto with N subscribers of the same client code; the copied site publishes its wakes there ----
        await using var mosquitto = await MosquittoProcess.StartAsync(Path.Combine(work, "mosquitto"), agents, cancellationToken);
        var externalUrl = ServerProcess.FreeLoopbackUrl();
        string[] serveExternal = ["serve", "--data-dir", externalDir, "--seed", seed, "--urls", Text(externalUrl), "--mqtt-external", $"127.0.0.1:{mosquitto.Url.Port.ToString(CultureInfo.InvariantCulture)}"];
        await using var externalAppliance = await StartAsync("appliance using Mosquitto", edgeDll, serveExternal, externalUrl, cancellationToken);
        using var externalHandler = AgentHttp.CreateHandler(httpConnections);
        using var externalHttp = AgentHttp.CreateClient(externalHandler, externalUrl, TimeSpan.FromMinutes(2));
        // The same devices with check-ins of their own: the copied site has seen none of them yet.
        var externalDevices = devices.Select((d, i) => d with { Status = new BenchDevice(d.Status.Serial, d.Secret, new Random(i)) }).ToList();
        await using var subscribers = new WakeFleet("Mosquitto", mosquitto.Url, externalDevices, new DeviceApiClient(externalHttp));
        var (mosquittoGrowth, _) = await ConnectAsync(subscribers, mosquitto.ResidentBytes, cancellationToken);
        using var publisher = await ConnectPublisherAsync(mosquitto.Url, cancellationToken);

        var rounds = await RoundsAsync(
            new WakeSide(fleet, dataDir, () => appliance.Sample().Cpu, () => appliance.ThreadCpu(LoadRun.DatabaseWriterThread)),
            new WakeSide(subscribers, externalDir, () => externalAppliance.Sample().Cpu, () => externalAppliance.ThreadCpu(LoadRun.DatabaseWriterThread)),
            mosquitto.ProcessorTime, publisher, devices, edgeDll, cancellationToken);
        foreach (var error in new[] { fleet.LastError, subscribers.LastError }.OfType<string>())
            log.WriteLine($"  wake: last error: {error}");
        return new WakeResult(
            agents, httpConnections, mosquitto.Version, enrollSeconds, connectSeconds,
            applianceGrowth, mosquittoGrowth, rounds, fleet.Errors + subscribers.Errors, fleet.StrayWakes + subscribers.StrayWakes);
    }

    /// <summary>
    /// A warm-up round each, then <see cref="Rounds"/> measured rounds: Mosquitto alone, the appliance, the appliance
    /// with wakes only, and the copied appliance whose wakes Mosquitto delivers.
    /// </summary>
    private async Task<WakeRounds> RoundsAsync(
        WakeSide embedded, WakeSide external, Func<TimeSpan> mosquittoCpu, IMqttClient publisher, List<WakeDevice> devices, string edgeDll, CancellationToken cancellationToken)
    {
        var warmup = new List<WakeRound>
        {
            await MosquittoRoundAsync(external.Fleet, mosquittoCpu, publisher, devices, "warm-up", cancellationToken),
            await ApplianceRoundAsync(embedded, edgeDll, devices.Count, "warm-up", WakePath.Appliance, cancellationToken),
            await ApplianceRoundAsync(external, edgeDll, devices.Count, "warm-up", WakePath.ApplianceThroughMosquitto, cancellationToken),
        };
        var measured = new List<WakeRound>();
        for (var round = 1; round <= Rounds; round++)
        {
            var label = round.ToString(CultureInfo.InvariantCulture);
            measured.Add(await MosquittoRoundAsync(external.Fleet, mosquittoCpu, publisher, devices, label, cancellationToken));
            measured.Add(await ApplianceRoundAsync(embedded, edgeDll, devices.Count, label, WakePath.Appliance, cancellationToken));
            measured.Add(await ApplianceRoundAsync(embedded, edgeDll, devices.Count, label, WakePath.ApplianceWakesOnly, cancellationToken));
            measured.Add(await ApplianceRoundAsync(external, edgeDll, devices.Count, label, WakePath.ApplianceThroughMosquitto, cancellationToken));
        }

        return new WakeRounds(warmup, measured);
    }

    /// <summary>Connects a fleet, with the broker's resident memory settled before and after, and the time it took.</summary>
    private async Task<(ResidentGrowth Growth, double Seconds)> ConnectAsync(WakeFleet fleet, Func<long> resident, CancellationToken cancellationToken)
    {
        await Task.Delay(Settle, cancellationToken);
        var before = resident();
        var started = Stopwatch.GetTimestamp();
        await fleet.ConnectAsync(log, cancellationToken);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await Task.Delay(Settle, cancellationToken);
        return (new ResidentGrowth(before, resident()), seconds);
    }

    /// <summary>Enrolls the devices at an appliance started for that alone and stopped again; with the time it took.</summary>
    private async Task<(List<WakeDevice> Devices, double Seconds)> EnrollAsync(string edgeDll, string[] serve, Uri url, DeviceApiClient api, int count, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        List<WakeDevice> devices;
        await using (await StartAsync("appliance", edgeDll, serve, url, cancellationToken))
            devices = await EnrollAsync(api, count, cancellationToken);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        log.WriteLine($"  wake: {count} devices enrolled in {seconds:0.0} s");
        return (devices, seconds);
    }

    private static Task<List<WakeDevice>> EnrollAsync(DeviceApiClient api, int count, CancellationToken cancellationToken) =>
        EnrollWakeDevicesAsync(api, DemoToken, "WAKE", count, EnrollConcurrency, cancellationToken);

    /// <summary>
    /// <c>edgemdm-edge commands send --group pickers ring</c> as its own process on the serving appliance's data
    /// directory: the appliance's dispatcher sees the queued wakes within its 50 ms poll and publishes them (to its
    /// own broker, or to Mosquitto). With <see cref="WakePath.ApplianceWakesOnly"/> the devices only take their wakes:
    /// the broker's delivery alone.
    /// </summary>
    private async Task<WakeRound> ApplianceRoundAsync(WakeSide side, string edgeDll, int agents, string label, WakePath path, CancellationToken cancellationToken)
    {
        await Task.Delay(BetweenRounds, cancellationToken);
        var fleet = side.Fleet;
        var checkIn = path != WakePath.ApplianceWakesOnly;
        var cpuBefore = side.Cpu();
        var writerBefore = side.Writer();
        var round = fleet.OpenRound(checkIn);
        var started = Stopwatch.GetTimestamp();
        var commandIds = await RunCommandAsync(edgeDll, ["commands", "send", "--group", Group, "ring", "--data-dir", side.DataDir], cancellationToken);
        var queuedAt = Stopwatch.GetTimestamp();
        var queued = commandIds.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        if (queued != agents)
            throw new ServerStartException($"commands send queued {queued} commands for group {Group}, expected {agents}");
        await WaitRoundAsync(round.AllWoken.Task, () => $"the appliance's wakes (round {label}): {round.WokenCount} of {agents} woken", cancellationToken);
        await WaitRoundAsync(round.AllCheckedIn.Task, () => $"the woken devices' check-ins (round {label}): {round.CheckedInCount} of {agents} answered", cancellationToken);
        fleet.CloseRound();
        var cpu = (side.Cpu() - cpuBefore).TotalSeconds;
        var writer = (side.Writer() - writerBefore).TotalSeconds;
        // The dispatcher may publish between the commit and the CLI's exit: the wakes were queued by the first one at the latest.
        var origin = Math.Min(queuedAt, round.FirstWoken);
        var measured = new WakeRound(
            path, label, agents, Seconds(started, queuedAt), Seconds(origin, round.FirstWoken), Seconds(origin, round.HalfWoken),
            Seconds(origin, round.LastWoken), checkIn ? Seconds(origin, round.LastCheckedIn) : null, cpu, writer);
        var checkedIn = measured.CheckinSeconds is { } seconds ? Invariant($", all checked in {seconds:0.000} s") : "";
        log.WriteLine(Invariant($"  wake: {measured.Name} round {label}: queued by the CLI in {measured.QueueSeconds:0.00} s, all woken {measured.DeliverySeconds:0.000} s{checkedIn} later"));
        return measured;
    }

    /// <summary>One publisher sends the N QoS 1 messages as fast as it can: all at once, each awaiting its PUBACK.</summary>
    private async Task<WakeRound> MosquittoRoundAsync(WakeFleet subscribers, Func<TimeSpan> mosquittoCpu, IMqttClient publisher, List<WakeDevice> devices, string label, CancellationToken cancellationToken)
    {
        await Task.Delay(BetweenRounds, cancellationToken);
        var cpuBefore = mosquittoCpu();
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
        var cpu = (mosquittoCpu() - cpuBefore).TotalSeconds;
        var measured = new WakeRound(
            WakePath.Mosquitto, label, devices.Count, Seconds(started, publishedAt), Seconds(started, round.FirstWoken), Seconds(started, round.HalfWoken), Seconds(started, round.LastWoken), CheckinSeconds: null, cpu, WriterCpuSeconds: null);
        log.WriteLine(Invariant($"  wake: Mosquitto round {label}: all acknowledged {measured.QueueSeconds:0.000} s, all received {measured.DeliverySeconds:0.000} s after the first publish"));
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

/// <summary>What a round sends through which broker.</summary>
internal enum WakePath
{
    /// <summary>The bench's own publisher, N QoS 1 messages at Mosquitto; nobody checks in.</summary>
    Mosquitto,

    /// <summary>The appliance's wakes through its embedded broker; each device checks in when woken.</summary>
    Appliance,

    /// <summary>The same wakes with the devices not checking in: the embedded broker's delivery alone.</summary>
    ApplianceWakesOnly,

    /// <summary>A copy of the same site configured with Mosquitto as its broker (<c>--mqtt-external</c>); each device checks in when woken.</summary>
    ApplianceThroughMosquitto,
}

/// <summary>
/// One round of one broker. Times in seconds from the origin: the appliance's is the wakes being queued (the CLI's
/// exit, or the first wake if that came sooner), Mosquitto's the first publication.
/// </summary>
/// <param name="QueueSeconds">Appliance: the <c>commands send</c> process, start to exit. Mosquitto: until every PUBACK.</param>
/// <param name="FirstDeliverySeconds">Until the first device had its message.</param>
/// <param name="HalfDeliverySeconds">Until half the devices had theirs.</param>
/// <param name="DeliverySeconds">Until every device had its message.</param>
/// <param name="CheckinSeconds">Until every device's check-in was answered (the rounds where devices check in).</param>
/// <param name="BrokerCpuSeconds">CPU time of the broker's process in the round; the appliance's includes its check-ins (and, through Mosquitto, is the appliance's alone).</param>
/// <param name="WriterCpuSeconds">Appliance: CPU time of its single database writer thread in the round, the serial part of the check-ins.</param>
internal sealed record WakeRound(
    WakePath Path, string Label, int Messages, double QueueSeconds, double FirstDeliverySeconds, double HalfDeliverySeconds, double DeliverySeconds, double? CheckinSeconds,
    double BrokerCpuSeconds, double? WriterCpuSeconds)
{
    public string Name => Path switch
    {
        WakePath.Mosquitto => "Mosquitto",
        WakePath.Appliance => "appliance",
        WakePath.ApplianceWakesOnly => "appliance, wakes only",
        _ => "appliance through Mosquitto",
    };
}

/// <summary>One appliance's devices, its data directory, and how to read its process's CPU time and its database writer's.</summary>
internal sealed record WakeSide(WakeFleet Fleet, string DataDir, Func<TimeSpan> Cpu, Func<TimeSpan> Writer);

/// <summary>The unmeasured warm-up rounds and the measured ones, in the order they ran.</summary>
internal sealed record WakeRounds(IReadOnlyList<WakeRound> Warmup, IReadOnlyList<WakeRound> Measured)
{
    public IReadOnlyList<WakeRound> Of(WakePath path) => Measured.Where(r => r.Path == path).ToList();
}

/// <summary>What the wake scenario measured.</summary>
internal sealed record WakeResult(
    int Agents, int HttpConnections, string MosquittoVersion, double EnrollSeconds, double ConnectSeconds,
    ResidentGrowth Appliance, ResidentGrowth Mosquitto, WakeRounds Rounds, long Errors, long StrayWakes);
