using EdgeMdm.Domain.Rollouts;
using EdgeMdm.Domain.Text;
using System.CommandLine;
using System.Text.Json;

namespace EdgeMdm.Agent.Cli;

/// <summary>
/// <c>simulate (--server URL [--pin HEX] --token T | --staging-batch DIR|payload.json) --devices N --duration D [--interval 5s] [--seed 1]
/// [--serial-prefix SIM] [--max-concurrency 64] [--json]</c>: one summary line (or JSON object) on standard
/// output; exit code 0 when no request failed, 1 otherwise.
/// </summary>
internal static class SimulateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var server = CliOptions.Server(required: false);
        var token = CliOptions.Token();
        token.Required = false;
        var pin = CliOptions.Pin();
        var devices = CliOptions.AtLeastOne("--devices", "How many devices to simulate (with --staging-batch, default: one per code)", "N");
        var stagingBatch = new Option<string>("--staging-batch")
        {
            Description = "Stage a batch: the appliance's DATA/staging/batches/ID directory (or its payload.json); device N enrolls from slot N's code, "
                + "which gives the URL, token and TLS pin",
            HelpName = "DIR|FILE",
        };
        var duration = CliOptions.Duration("--duration", "How long to run", required: true);
        var interval = CliOptions.Duration("--interval", "Check in this often instead of the appliance's interval", required: false);
        var seed = new Option<int>("--seed") { Description = "Seed of the fleet: the same seed, the same devices", HelpName = "N", DefaultValueFactory = _ => 1 };
        var prefix = new Option<string>("--serial-prefix") { Description = "Serial prefix; serials are PREFIX00001, PREFIX00002...", HelpName = "PREFIX", DefaultValueFactory = _ => "SIM" };
        var concurrency = CliOptions.AtLeastOne("--max-concurrency", "Most devices talking to the appliance at once (and connections open)", "N");
        concurrency.DefaultValueFactory = _ => 64;
        var json = new Option<bool>("--json") { Description = "Print the summary as a JSON object" };
        var mqtt = CliOptions.Mqtt();
        var knobs = new FleetKnobs();

        var command = new Command("simulate", "Simulate a fleet of devices against the appliance and report check-in latency and package installs")
        {
            server, pin, token, stagingBatch, devices, duration, interval, seed, prefix, concurrency, json, mqtt,
        };
        RequireOneSource(command, server, token, pin, stagingBatch, devices);
        knobs.AddTo(command);
        command.SetAction((parse, cancellationToken) => AgentCli.GuardAsync(
            "simulate",
            parse.GetValue(server),
            stderr,
            () => SimulateAsync(
                knobs.Apply(parse, Staged(parse.GetValue(stagingBatch), parse.GetResult(devices) is null ? null : parse.GetValue(devices)) ?? new SimulationOptions
                {
                    Server = parse.GetRequiredValue(server),
                    EnrollmentToken = parse.GetRequiredValue(token),
                    TlsPin = parse.GetValue(pin),
                    Devices = parse.GetValue(devices),
                }) with
                {
                    Duration = parse.GetValue(duration),
                    IntervalOverride = parse.GetResult(interval) is null ? null : parse.GetValue(interval),
                    Seed = parse.GetValue(seed),
                    SerialPrefix = parse.GetRequiredValue(prefix),
                    MaxConcurrency = parse.GetValue(concurrency),
                    Mqtt = parse.GetValue(mqtt),
                },
                knobs.Floor(parse),
                parse.GetValue(json),
                stdout,
                stderr,
                cancellationToken),
            cancellationToken));
        return command;
    }

    /// <summary>Either a batch to stage (which gives server and token) or the server, the token and a device count.</summary>
    private static void RequireOneSource(Command command, Option<Uri> server, Option<string> token, Option<string> pin, Option<string> stagingBatch, Option<int> devices) =>
        command.Validators.Add(result =>
        {
            if (result.GetResult(stagingBatch) is not null)
            {
                if (result.GetResult(server) is not null || result.GetResult(token) is not null || result.GetResult(pin) is not null)
                    result.AddError("--staging-batch gives the server, the token and the pin: pass none of --server, --token, --pin with it");
                return;
            }

            // Each missing one named as the parser names a required option (the usage says --staging-batch replaces them).
            var missing = new[] { (result.GetResult(server), "--server"), (result.GetResult(token), "--token"), (result.GetResult(devices), "--devices") }
                .FirstOrDefault(o => o.Item1 is null).Item2;
            if (missing is not null)
                result.AddError($"option '{missing}' is required");
        });

    /// <summary>The options of a staged batch (URL, pin and token from its first code, one device per code), or null without one.</summary>
    private static SimulationOptions? Staged(string? batchPath, int? devices)
    {
        if (batchPath is null)
            return null;
        var codes = CodeEnrollment.ReadBatch(batchPath);
        var first = codes[0];
        return AgentHttp.TryParseServer(first.Urls[0], out var url)
            ? new SimulationOptions { Server = url, EnrollmentToken = first.Token, TlsPin = first.TlsPin, StagingCodes = codes, Devices = devices ?? codes.Count }
            : throw new InvalidDataException($"the staging code names '{first.Urls[0]}', which is not an http(s) URL");
    }

    private static async Task<int> SimulateAsync(SimulationOptions options, SiteFloor? floor, bool asJson, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        await stderr.WriteLineAsync(
            $"{AgentCli.Name}: simulating {options.Devices} devices against {options.Server} for {DurationText.Format(options.Duration)}"
            + (options.IntervalOverride is { } i ? $", checking in every {DurationText.Format(i)}" : ""));
        var summary = await new FleetSimulator(options, stderr, floor).RunAsync(cancellationToken);
        await stdout.WriteLineAsync(asJson
            ? JsonSerializer.Serialize(SimulationReport.From(summary), AgentJson.Default.SimulationReport)
            : summary.ToSummaryLine());
        if (summary.Errors > 0)
            await stderr.WriteLineAsync($"{AgentCli.Name}: errors by kind: {string.Join(", ", summary.ErrorsByKind.Select(e => e.Key + "=" + e.Value))}");
        return summary.Errors == 0 ? AgentCli.Success : AgentCli.Failure;
    }
}

/// <summary>The options that shape the simulated fleet's package behaviour: storage, OS, coverage, the sample app.</summary>
internal sealed class FleetKnobs
{
    private static readonly TimeSpan DefaultStorageFreedAfter = TimeSpan.FromMinutes(2);

    private readonly Option<double> _storageFull = CliOptions.Fraction("--storage-full", "Share of devices whose storage is full at start");
    private readonly Option<TimeSpan> _storageFreedAfter = CliOptions.Duration("--storage-freed-after", "When full devices get space back (default 2m)", required: false);
    private readonly Option<double> _oldOs = CliOptions.Fraction("--old-os", "Share of devices left on Android 10, below recent package minimums");
    private readonly Option<double> _offline = CliOptions.Fraction("--offline", "Share of devices that enroll and then stay out of coverage");
    private readonly Option<TimeSpan> _offlineFor = CliOptions.Duration("--offline-for", "How long they stay out (default: the whole run)", required: false);
    private readonly Option<TimeSpan> _installRetryAfter = CliOptions.Duration(
        "--install-retry-after", "Wait before the first retry of a failed install, doubling up to 1h (default 1m, what a real agent uses)", required: false);
    private readonly Option<SampleAppChoice> _sampleApp = new("--sample-app")
    {
        Description = $"The app every device comes with, PACKAGE:VERSIONCODE:VERSIONNAME, or 'none' (default {SampleApp.Default})",
        HelpName = "APP",
        DefaultValueFactory = _ => new SampleAppChoice(SampleApp.Default),
        CustomParser = ParseSampleApp,
    };

    private readonly Option<double> _wifiFail = CliOptions.Fraction("--wifi-fail", "Share of devices whose staging Wi-Fi step fails until an operator retry");
    private readonly Option<double> _peripheralMissing = CliOptions.Fraction("--peripheral-missing", "Share of devices whose staging pairPeripheral step finds nothing until an operator retry");
    private readonly Option<double> _stagingTimeScale = new("--staging-time-scale")
    {
        Description = "Multiply staging step durations and retry pauses by this (default 1: realistic; 0.01 for a fast demo)",
        HelpName = "FACTOR",
        DefaultValueFactory = _ => 1.0,
        Validators = { result => { if (result.GetValueOrDefault<double>() is not (> 0 and <= 100)) result.AddError("--staging-time-scale must be above 0 and at most 100"); } },
    };

    private readonly Option<CradleBank?> _cradles = new("--cradles")
    {
        Description = "Cradles the fleet docks into, CRADLE:SLOTS[,...] (e.g. gpio-1:8,gpio-2:8,bay-3:10): a docking device takes a free slot and reports it; none free: docked without a location",
        HelpName = "LIST",
        CustomParser = result =>
        {
            var bank = CradleBank.TryParse(result.Tokens.Count > 0 ? result.Tokens[0].Value : "", out var problem);
            if (problem is not null)
                result.AddError("invalid --cradles: " + problem);
            return bank;
        },
    };

    private readonly Option<ShiftRhythm?> _shiftPattern = new("--shift-pattern")
    {
        Description = "Shift-like docking in local time, HH:mm-HH:mm[,...] (e.g. 06:00-14:00,14:00-22:00): out within 20 min of a start, back within 25 min of an end, about 1 in 20 late by 45-90 min",
        HelpName = "SHIFTS",
        CustomParser = result =>
        {
            var rhythm = ShiftRhythm.TryParse(result.Tokens.Count > 0 ? result.Tokens[0].Value : "", out var problem);
            if (problem is not null)
                result.AddError("invalid --shift-pattern: " + problem);
            return rhythm;
        },
    };

    private readonly Option<string> _packages = new("--packages")
    {
        Description = "Directory for package downloads (one verified copy per package, shared by the fleet); default a temporary directory removed afterwards",
        HelpName = "DIR",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_storageFull);
        command.Options.Add(_storageFreedAfter);
        command.Options.Add(_oldOs);
        command.Options.Add(_offline);
        command.Options.Add(_offlineFor);
        command.Options.Add(_installRetryAfter);
        command.Options.Add(_wifiFail);
        command.Options.Add(_peripheralMissing);
        command.Options.Add(_stagingTimeScale);
        command.Options.Add(_sampleApp);
        command.Options.Add(_packages);
        command.Options.Add(_cradles);
        command.Options.Add(_shiftPattern);
    }

    public SimulationOptions Apply(ParseResult parse, SimulationOptions options) => options with
    {
        StorageFullFraction = parse.GetValue(_storageFull),
        StorageFreedAfter = parse.GetResult(_storageFreedAfter) is null ? DefaultStorageFreedAfter : parse.GetValue(_storageFreedAfter),
        OldOsFraction = parse.GetValue(_oldOs),
        OfflineFraction = parse.GetValue(_offline),
        OfflineFor = parse.GetResult(_offlineFor) is null ? null : parse.GetValue(_offlineFor),
        RetryPolicy = parse.GetResult(_installRetryAfter) is null ? RetryPolicy.Default : RetryPolicy.StartingAfter(parse.GetValue(_installRetryAfter)),
        WifiFailFraction = parse.GetValue(_wifiFail),
        PeripheralMissingFraction = parse.GetValue(_peripheralMissing),
        StagingTimeScale = parse.GetValue(_stagingTimeScale),
        SampleApp = parse.GetValue(_sampleApp)?.App,
        PackageDirectory = parse.GetValue(_packages) is { Length: > 0 } directory ? directory : null,
    };

    /// <summary>The cradles and shift rhythm the fleet shares; null when neither was asked for.</summary>
    public SiteFloor? Floor(ParseResult parse) =>
        parse.GetValue(_cradles) is var cradles && parse.GetValue(_shiftPattern) is var shifts && (cradles is not null || shifts is not null)
            ? new SiteFloor(cradles, shifts)
            : null;

    // A wrapper, because System.CommandLine reads a null from a custom parser as "no value" and then casts the raw
    // token ("none") itself, which throws.
    private static SampleAppChoice ParseSampleApp(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (string.Equals(text, "none", StringComparison.Ordinal))
            return new SampleAppChoice(null);
        if (SampleApp.TryParse(text, out var app))
            return new SampleAppChoice(app);
        result.AddError($"invalid --sample-app '{text}': expected PACKAGE:VERSIONCODE:VERSIONNAME (com.acme.scan:100:1.0.0) or none");
        return new SampleAppChoice(null);
    }

    /// <summary>The app every simulated device comes with, or none.</summary>
    private sealed record SampleAppChoice(SampleApp? App);
}
