using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using EdgeMdm.Domain.Outcomes;

namespace EdgeMdm.Edge.Cli;

/// <summary>
/// Builds operator commands: each opens the appliance's data directory (<c>--data-dir</c>) the way <c>serve</c> does, so
/// it works while <c>serve</c> runs on it (SQLite WAL, one writer at a time), and prints a table or, with <c>--json</c>,
/// JSON for scripts. Each feature builds its commands with this; none opens the database itself.
/// </summary>
/// <param name="addServices">Registers the appliance's services over a configuration (the host's own registration).</param>
public sealed class OperatorCommands(Action<IServiceCollection, IConfiguration> addServices)
{
    /// <summary>The program's name, as errors and hints spell it.</summary>
    public const string Program = "edgemdm-edge";

    private static readonly JsonSerializerOptions JsonOutput = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>Who an operator command acts as, in histories and the hub's records.</summary>
    public static string Actor => "operator:" + Environment.UserName;

    /// <summary>
    /// A command with <paramref name="symbols"/>, <c>--data-dir</c> and, when <paramref name="json"/>, <c>--json</c>;
    /// <paramref name="run"/> gets the opened data directory.
    /// </summary>
    public Command Create(string name, string description, IEnumerable<Symbol> symbols, Func<OperatorContext, Task<int>> run, bool json = true)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        ArgumentNullException.ThrowIfNull(run);
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
                default:
                    throw new ArgumentException($"{symbol.Name} is neither an argument nor an option", nameof(symbols));
            }
        }

        var dataDir = new Option<string>("--data-dir") { Description = "data directory of the appliance (default: Edge:DataDir, from $EDGEMDM_Edge__DataDir or appsettings.json, else ./data)" };
        command.Options.Add(dataDir);
        var jsonOption = json ? new Option<bool>("--json") { Description = "print JSON for scripts instead of a table" } : null;
        if (jsonOption is not null)
            command.Options.Add(jsonOption);
        command.SetAction(async result =>
        {
            await using var context = new OperatorContext(result, addServices, result.GetValue(dataDir), jsonOption is not null && result.GetValue(jsonOption));
            return await run(context);
        });
        return command;
    }

    /// <summary>The same, for a command that does not wait on anything.</summary>
    public Command Create(string name, string description, IEnumerable<Symbol> symbols, Func<OperatorContext, int> run, bool json = true) =>
        Create(name, description, symbols, context => Task.FromResult(run(context)), json);

    internal static string Serialize<T>(T value) => JsonSerializer.Serialize(value, JsonOutput);

    /// <summary>The value, or a refusal turned into one line and exit code 1.</summary>
    public static T Require<T>(Outcome<T> outcome)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(outcome);
        // A missing reason is a usage error: named as the option that gives it (exit 2, as a bad option).
        if (outcome.Refusal is { Type: Domain.Security.DangerousActions.ReasonProblemType } invalid)
            throw new CliException("--" + invalid.Detail, 2);
        return outcome.Value ?? throw new CliException(outcome.Refusal!.Detail);
    }
}
