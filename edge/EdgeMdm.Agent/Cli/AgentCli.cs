using System.CommandLine;
using System.CommandLine.Invocation;

namespace EdgeMdm.Agent.Cli;

/// <summary>
/// <c>edgemdm-agent enroll | run | simulate</c>. Exit codes: 0 done, 1 runtime failure (or a simulation
/// with errors), 2 usage error. A usage error is one line on standard error, not the help text.
/// </summary>
internal static class AgentCli
{
    public const string Name = "edgemdm-agent";
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("EdgeMdm reference device agent: enroll a device, run it, or simulate a fleet against a site appliance.");
        root.Subcommands.Add(EnrollCommand.Create(stdout, stderr));
        root.Subcommands.Add(RunCommand.Create(stderr));
        root.Subcommands.Add(SimulateCommand.Create(stdout, stderr));

        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction && parse.Errors.Count > 0)
        {
            await stderr.WriteLineAsync(UsageLine(parse, root));
            return UsageError;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken);
    }

    /// <summary>The one error line worth reading, of all the parser found.</summary>
    private static string UsageLine(ParseResult parse, RootCommand root)
    {
        if (parse.UnmatchedTokens.Count > 0)
            return Line($"unrecognized command or argument '{parse.UnmatchedTokens[0]}' (see {Name} --help)");
        if (parse.CommandResult.Command == root)
            return Line($"missing command: enroll, run or simulate (see {Name} --help)");
        return Line(parse.Errors[0].Message);
    }

    /// <summary>"Option '--token' is required." → "edgemdm-agent: option '--token' is required".</summary>
    public static string Line(string message)
    {
        var text = message.Trim().TrimEnd('.').ReplaceLineEndings(" ");
        if (text.Length > 1 && char.IsUpper(text[0]) && char.IsLower(text[1]))
            text = char.ToLowerInvariant(text[0]) + text[1..];
        return Name + ": " + text;
    }

    /// <summary>
    /// Runs a command body; a failure to talk to the appliance or to read or write the state file becomes
    /// one line on standard error and exit code 1. Anything else is a bug and keeps its stack trace.
    /// </summary>
    /// <param name="server">Named in the message when the appliance cannot be reached.</param>
    public static async Task<int> GuardAsync(string operation, Uri? server, TextWriter stderr, Func<Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync(Line(operation + " cancelled"));
            return Failure;
        }
        catch (HttpRequestException e) when (server is not null)
        {
            await stderr.WriteLineAsync(Line($"{operation} failed: cannot reach the appliance at {server}: {AgentFailures.Describe(e)}"));
            return Failure;
        }
        catch (Exception e) when (AgentFailures.IsRequestFailure(e, cancellationToken) || e is InvalidDataException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync(Line(operation + " failed: " + AgentFailures.Describe(e)));
            return Failure;
        }
    }
}
