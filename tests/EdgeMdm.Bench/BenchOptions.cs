using EdgeMdm.Domain.Text;

namespace EdgeMdm.Bench;

/// <summary>What one <c>make bench</c> run does. Every phase is bounded by time.</summary>
internal sealed record BenchOptions
{
    public const string Usage =
        "usage: edgemdm-bench [--scenario checkin|catchup|download|linerate|wake|tls|staging|overview|footprint|site|durable|fanin|all] [--devices N] [--concurrency N] [--warmup 20s] [--duration 15s]\n" +
        "                     [--backlog N] [--sync-max-rate N] [--package-mb N] [--download-clients N] [--link-mbit N] [--wake-agents N]\n" +
        "                     [--handshake-clients N] [--staging-devices N] [--step-time-scale X] [--overview-devices N] [--pages N] [--out FILE]\n" +
        "                     [--footprint-devices N] [--footprint-rate N] [--appliance PUBLISHED-EXECUTABLE]\n" +
        "                     [--site-devices N] [--site-rate N] [--site-duration 30s] [--shift-window 10s] [--durable-writers N] [--durable-duration 10s]\n" +
        "                     [--fanin-sites N] [--fanin-rate X] [--fanin-backlog N] [--fanin-window 30s] [--fanin-transport tls|h2c]\n" +
        "       edgemdm-bench noop-server --urls URL [--certificate PEM --key PEM]\n" +
        "       edgemdm-bench probe --url URL --period-ms N --devices FILE --pin PIN|-\n" +
        "       edgemdm-bench download-clients --url URL --pin PIN --secrets FILE";

    /// <summary>Which scenarios run, in this order: the check-in load, then the sync catch-up.</summary>
    public BenchScenario Scenario { get; init; } = BenchScenario.All;

    /// <summary>Catch-up scenario: changes to build up in the appliance's outbox while the uplink is down.</summary>
    public int Backlog { get; init; } = 100_000;

    /// <summary>Catch-up scenario: the appliance's push ceiling (--sync-max-rate, 0 = none); null keeps its default.</summary>
    public int? SyncMaxRate { get; init; }

    /// <summary>Download scenario: size of the package, in MiB.</summary>
    public int PackageMegabytes { get; init; } = 200;

    /// <summary>Download scenario: clients downloading the package at once.</summary>
    public int DownloadClients { get; init; } = 32;

    /// <summary>Line-rate scenario: the shaped link's rate, in Mbit/s (a site appliance's NIC).</summary>
    public int LinkMegabits { get; init; } = 1000;

    /// <summary>Wake scenario: devices connected to the broker, all woken at once.</summary>
    public int WakeAgents { get; init; } = 5000;

    /// <summary>TLS scenario: connections handshaking at once, each a full handshake (no resumption) then closed.</summary>
    public int HandshakeClients { get; init; } = 16;

    /// <summary>Staging scenario: devices staged at once through the plan (a cart).</summary>
    public int StagingDevices { get; init; } = 50;

    /// <summary>Staging scenario: factor on the simulated step times (1 = realistic; 0.1 for a quick run).</summary>
    public double StepTimeScale { get; init; } = 1.0;

    /// <summary>Overview scenario: devices on the appliance whose overview is fetched and who check in meanwhile.</summary>
    public int OverviewDevices { get; init; } = 5000;

    /// <summary>Overview scenario: supervisor pages open (each signed in, following the live stream) during the second load run.</summary>
    public int Pages { get; init; } = 20;

    /// <summary>Footprint scenario: devices enrolled, connected to the broker and checking in.</summary>
    public int FootprintDevices { get; init; } = 5000;

    /// <summary>
    /// Footprint scenario: check-ins a second, all devices together. 500 a second takes 5,000 devices round in 10 s: a
    /// site's pace (the agent's 60 s) six times over, so that the window is minutes, not a quarter of an hour.
    /// </summary>
    public int FootprintRate { get; init; } = 500;

    /// <summary>Footprint scenario: a published appliance to run; null publishes one (ReadyToRun, self-contained, linux-x64).</summary>
    public string? ApplianceExecutable { get; init; }

    /// <summary>Site scenario: devices enrolled, checking in at <see cref="SiteRate"/>, then all once in <see cref="ShiftWindow"/>.</summary>
    public int SiteDevices { get; init; } = 5000;

    /// <summary>Site scenario: check-ins a second in the steady part (open loop: sent on schedule, answered or not).</summary>
    public int SiteRate { get; init; } = 1000;

    /// <summary>Site scenario: how long the steady part is measured.</summary>
    public TimeSpan SiteDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Site scenario: the shift change, every device checking in once at a random moment within it.</summary>
    public TimeSpan ShiftWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Durable-writes scenario: callers writing at once in the group-commit row.</summary>
    public int DurableWriters { get; init; } = 64;

    /// <summary>Durable-writes scenario: how long each loop is measured.</summary>
    public TimeSpan DurableDuration { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Fan-in scenario: simulated sites at the largest size (the steps below it are 100 and 300).</summary>
    public int FaninSites { get; init; } = 1000;

    /// <summary>Fan-in scenario: device changes a second each site makes (pushed in its rounds, every 5 s).</summary>
    public double FaninRate { get; init; } = 2;

    /// <summary>Fan-in scenario: changes queued at each site for the catch-up storm (the hub's capacity, one replica and two).</summary>
    public int FaninBacklog { get; init; } = 200;

    /// <summary>Fan-in scenario: the measured window of the trickle at each size.</summary>
    public TimeSpan FaninWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Fan-in scenario: TLS (the default: how a site reaches a hub over a network that is not private, README "serve the
    /// sync over TLS") or cleartext HTTP/2 (a private network, or a proxy in front terminating TLS).
    /// </summary>
    public bool FaninTls { get; init; } = true;

    /// <summary>Devices enrolled on each server; each checks in back-to-back for the whole run.</summary>
    public int Devices { get; init; } = 2000;

    /// <summary>Check-ins in flight at once (and connections open); null means one per device.</summary>
    public int? Concurrency { get; init; }

    /// <summary>
    /// Load before the window: long enough for tiered compilation to finish on two cores. After 3 s the JIT's
    /// background thread still took 10–13 % of the server's CPU samples and the figures moved ±12 % between runs
    /// (docs/benchmarks.md, "Feature slices").
    /// </summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Also write the report to this file.</summary>
    public string? OutFile { get; init; }

    public int EffectiveConcurrency => Math.Min(Concurrency ?? Devices, Devices);

    /// <summary>Each option with the options it makes of a value: null when the value is not valid for it.</summary>
    private static readonly Dictionary<string, Func<BenchOptions, string, BenchOptions?>> Setters = new(StringComparer.Ordinal)
    {
        ["--devices"] = (o, value) => PositiveInt(value) is { } devices ? o with { Devices = devices } : null,
        ["--concurrency"] = (o, value) => PositiveInt(value) is { } concurrency ? o with { Concurrency = concurrency } : null,
        ["--warmup"] = (o, value) => DurationText.TryParse(value, out var warmup) ? o with { Warmup = warmup } : null,
        ["--duration"] = (o, value) => DurationText.TryParse(value, out var duration) && duration > TimeSpan.Zero ? o with { Duration = duration } : null,
        ["--scenario"] = (o, value) => ScenarioOf(value) is { } scenario ? o with { Scenario = scenario } : null,
        ["--backlog"] = (o, value) => PositiveInt(value) is { } backlog ? o with { Backlog = backlog } : null,
        ["--sync-max-rate"] = (o, value) => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var rate) ? o with { SyncMaxRate = rate } : null,
        ["--package-mb"] = (o, value) => PositiveInt(value) is { } megabytes ? o with { PackageMegabytes = megabytes } : null,
        ["--download-clients"] = (o, value) => PositiveInt(value) is { } clients ? o with { DownloadClients = clients } : null,
        ["--link-mbit"] = (o, value) => PositiveInt(value) is { } megabits ? o with { LinkMegabits = megabits } : null,
        ["--wake-agents"] = (o, value) => PositiveInt(value) is { } agents ? o with { WakeAgents = agents } : null,
        ["--handshake-clients"] = (o, value) => PositiveInt(value) is { } clients ? o with { HandshakeClients = clients } : null,
        ["--staging-devices"] = (o, value) => PositiveInt(value) is { } devices ? o with { StagingDevices = devices } : null,
        ["--step-time-scale"] = (o, value) =>
            double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var scale) && scale is >= 0 and <= 100 ? o with { StepTimeScale = scale } : null,
        ["--overview-devices"] = (o, value) => PositiveInt(value) is { } devices ? o with { OverviewDevices = devices } : null,
        ["--pages"] = (o, value) => PositiveInt(value) is { } pages && pages <= 150 ? o with { Pages = pages } : null,
        ["--out"] = (o, value) => o with { OutFile = value },
        ["--footprint-devices"] = (o, value) => PositiveInt(value) is { } devices ? o with { FootprintDevices = devices } : null,
        ["--footprint-rate"] = (o, value) => PositiveInt(value) is { } rate ? o with { FootprintRate = rate } : null,
        ["--site-devices"] = (o, value) => PositiveInt(value) is { } devices ? o with { SiteDevices = devices } : null,
        ["--site-rate"] = (o, value) => PositiveInt(value) is { } rate ? o with { SiteRate = rate } : null,
        ["--site-duration"] = (o, value) => DurationText.TryParse(value, out var site) && site > TimeSpan.Zero ? o with { SiteDuration = site } : null,
        ["--shift-window"] = (o, value) => DurationText.TryParse(value, out var shift) && shift > TimeSpan.Zero ? o with { ShiftWindow = shift } : null,
        ["--durable-writers"] = (o, value) => PositiveInt(value) is { } writers ? o with { DurableWriters = writers } : null,
        ["--durable-duration"] = (o, value) => DurationText.TryParse(value, out var durable) && durable > TimeSpan.Zero ? o with { DurableDuration = durable } : null,
        // 250 sites per 127.1.x.0/24, each from an address of its own: at most 250 × 255.
        ["--fanin-sites"] = (o, value) => PositiveInt(value) is { } sites && sites <= 63_750 ? o with { FaninSites = sites } : null,
        ["--fanin-rate"] = (o, value) =>
            double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) && rate is > 0 and <= 1000 ? o with { FaninRate = rate } : null,
        ["--fanin-backlog"] = (o, value) => PositiveInt(value) is { } backlog && backlog <= 100_000 ? o with { FaninBacklog = backlog } : null,
        ["--fanin-window"] = (o, value) => DurationText.TryParse(value, out var window) && window >= TimeSpan.FromSeconds(1) ? o with { FaninWindow = window } : null,
        ["--fanin-transport"] = (o, value) => value switch
        {
            "tls" => o with { FaninTls = true },
            "h2c" => o with { FaninTls = false },
            _ => null,
        },
        ["--appliance"] = (o, value) => File.Exists(value) ? o with { ApplianceExecutable = Path.GetFullPath(value) } : null,
    };

    /// <summary>The options, or the one-line reason they are wrong.</summary>
    public static (BenchOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
                return (null, $"{name} needs a value");
            var value = args[++i];
            if (!Setters.TryGetValue(name, out var set))
                return (null, $"unknown option {name}");
            if (set(options, value) is not { } next)
                return (null, $"{name} {value}: not a valid value (counts are whole numbers ≥ 1, durations look like 500ms, 15s, 2m, step time scales 0 to 100, pages at most 150, fan-in sites at most 63750, rates above 0 up to 1000 a second, backlogs at most 100000, windows at least 1s, transports tls or h2c, scenarios are checkin, catchup, download, linerate, wake, tls, staging, overview, footprint, site, durable, fanin, all; --appliance names an existing file)");
            options = next;
        }

        return (options, null);
    }

    private static BenchScenario? ScenarioOf(string text) => text switch
    {
        "checkin" => BenchScenario.Checkin,
        "catchup" => BenchScenario.Catchup,
        "download" => BenchScenario.Download,
        "linerate" => BenchScenario.LineRate,
        "wake" => BenchScenario.Wake,
        "tls" => BenchScenario.Tls,
        "staging" => BenchScenario.Staging,
        "overview" => BenchScenario.Overview,
        "footprint" => BenchScenario.Footprint,
        "site" => BenchScenario.Site,
        "durable" => BenchScenario.Durable,
        "fanin" => BenchScenario.Fanin,
        "all" => BenchScenario.All,
        _ => null,
    };

    private static int? PositiveInt(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : null;
}

/// <summary>The scenarios of one run (flags).</summary>
[Flags]
internal enum BenchScenario
{
    None = 0,

    /// <summary>Check-in throughput and latency: the no-op endpoint, then the appliance.</summary>
    Checkin = 1,

    /// <summary>Sync catch-up: a backlog built with the uplink down, then drained to the hub.</summary>
    Catchup = 2,

    /// <summary>Package downloads, the ceiling: a large package from the appliance and from nginx, both over TLS, many clients at once, unshaped.</summary>
    Download = 4,

    /// <summary>Device wakes: N agents connected to the appliance's broker, all woken at once, beside Mosquitto.</summary>
    Wake = 8,

    /// <summary>TLS: full handshakes per second, and check-ins over TLS, the appliance beside the no-op endpoint over TLS.</summary>
    Tls = 16,

    /// <summary>Staging: a cart of devices through a 7-step plan with simulated step times, over pinned https.</summary>
    Staging = 32,

    /// <summary>The supervisor's overview with 5,000 devices over https, then check-ins with and without 20 open pages following the live stream.</summary>
    Overview = 64,

    /// <summary>The appliance as the .deb ships it: start-to-ready, resident memory idle and with 5,000 devices, bytes written per check-in.</summary>
    Footprint = 128,

    /// <summary>Hub fan-in: 100, 300 and 1,000 simulated sites syncing with the hub on PostgreSQL, then two replicas.</summary>
    Fanin = 2048,

    /// <summary>Package downloads through a 1 Gbit/s link (veth into a network namespace, tc tbf) over TLS, while the probe checks in.</summary>
    LineRate = 256,

    /// <summary>A site's shape, open loop: 5,000 devices at 1,000 check-ins/s, then a shift change (every device once within 10 s).</summary>
    Site = 512,

    /// <summary>Durable writes: the store's group commit against raw SQLite prepared statements, same durability, same process.</summary>
    Durable = 1024,

    All = Checkin | Catchup | Download | Wake | Tls | Staging | Overview | Footprint | LineRate | Site | Durable | Fanin,
}
