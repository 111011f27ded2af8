using EdgeMdm.Domain.Text;
using System.CommandLine;
using System.Text.Json;

namespace EdgeMdm.Agent.Cli;

/// <summary>
/// <c>simulate --server URL --token T --devices N --duration D [--interval 5s] [--seed 1]
/// [--serial-prefix SIM] [--max-concurrency 64] [--json]</c>: one summary line (or JSON object) on standard
/// output; exit code 0 when no request failed, 1 otherwise.
/// </summary>
internal static class SimulateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var server = CliOptions.Server(required: true);
        var token = CliOptions.Token();
        var devices = CliOptions.AtLeastOne("--devices", "How many devices to simulate", "N");
        devices.Required = true;
        var duration = CliOptions.Duration("--duration", "How long to run", required: true);
        var interval = CliOptions.Duration("--interval", "Check in this often instead of the appliance's interval", required: false);
        var seed = new Option<int>("--seed") { Description = "Seed of the fleet: the same seed, the same devices", HelpName = "N", DefaultValueFactory = _ => 1 };
        var prefix = new Option<string>("--serial-prefix") { Description = "Serial prefix; serials are PREFIX00001, PREFIX00002...", HelpName = "PREFIX", DefaultValueFactory = _ => "SIM" };
        var concurrency = CliOptions.AtLeastOne("--max-concurrency", "Most devices talking to the appliance at once (and connections open)", "N");
        concurrency.DefaultValueFactory = _ => 64;
        var json = new Option<bool>("--json") { Description = "Print the summary as a JSON object" };

        var command = new Command("simulate", "Simulate a fleet of devices against the appliance and report check-in latency")
        {
            server, token, devices, duration, interval, seed, prefix, concurrency, json,
        };
        command.SetAction((parse, cancellationToken) => AgentCli.GuardAsync(
            "simulate",
            parse.GetValue(server),
            stderr,
            () => SimulateAsync(
                new SimulationOptions
                {
                    Server = parse.GetRequiredValue(server),
                    EnrollmentToken = parse.GetRequiredValue(token),
                    Devices = parse.GetValue(devices),
                    Duration = parse.GetValue(duration),
                    IntervalOverride = parse.GetResult(interval) is null ? null : parse.GetValue(interval),
                    Seed = parse.GetValue(seed),
                    SerialPrefix = parse.GetRequiredValue(prefix),
                    MaxConcurrency = parse.GetValue(concurrency),
                },
                parse.GetValue(json),
                stdout,
                stderr,
                cancellationToken),
            cancellationToken));
        return command;
    }

    private static async Task<int> SimulateAsync(SimulationOptions options, bool asJson, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        await stderr.WriteLineAsync(
            $"{AgentCli.Name}: simulating {options.Devices} devices against {options.Server} for {DurationText.Format(options.Duration)}"
            + (options.IntervalOverride is { } i ? $", checking in every {DurationText.Format(i)}" : ""));
        var summary = await new FleetSimulator(options, stderr).RunAsync(cancellationToken);
        await stdout.WriteLineAsync(asJson
            ? JsonSerializer.Serialize(SimulationReport.From(summary), AgentJson.Default.SimulationReport)
            : summary.ToSummaryLine());
        if (summary.Errors > 0)
            await stderr.WriteLineAsync($"{AgentCli.Name}: errors by kind: {string.Join(", ", summary.ErrorsByKind.Select(e => e.Key + "=" + e.Value))}");
        return summary.Errors == 0 ? AgentCli.Success : AgentCli.Failure;
    }
}
