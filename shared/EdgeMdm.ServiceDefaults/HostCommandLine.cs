using System.CommandLine;
using Microsoft.Extensions.Options;

namespace EdgeMdm.ServiceDefaults;

/// <summary>How a host's command refused: the line printed after the program's name, and the exit code.</summary>
public readonly record struct CommandRefusal(string Message, int ExitCode = 1);

/// <summary>
/// The command line both servers run: <c>serve</c> when no command is named; bad usage and invalid settings as one
/// line on stderr and exit 2; the refusals each host knows (a full disk, a locked database) as one line and the
/// exit code the host gives them. Anything else is a defect and keeps its stack trace.
/// </summary>
public static class HostCommandLine
{
    /// <summary>
    /// The <c>serve</c> command: <paramref name="switches"/> are there for <c>--help</c>, but the host reads its own
    /// switches (and any ASP.NET Core setting) from the raw arguments, which <paramref name="run"/> gets without the
    /// command's name; so a token no switch names is the host's, not an error.
    /// </summary>
    public static Command Serve(string description, IEnumerable<Option> switches, Func<string[], CancellationToken, Task<int>> run)
    {
        ArgumentNullException.ThrowIfNull(switches);
        ArgumentNullException.ThrowIfNull(run);
        var serve = new Command("serve", description) { TreatUnmatchedTokensAsErrors = false };
        foreach (var option in switches)
            serve.Options.Add(option);
        serve.Options.Add(new Option<string>(ServerLogging.FormatSwitch)
        {
            Description = "console log format: json (one object per line), systemd (journald's), or simple (default; systemd's when the console is the journal)",
        });
        serve.SetAction((result, cancellationToken) =>
            run(result.Tokens.Select(t => t.Value).SkipWhile(t => string.Equals(t, "serve", StringComparison.Ordinal)).ToArray(), cancellationToken));
        return serve;
    }

    public static async Task<int> RunAsync(string program, RootCommand commands, string[] args, Func<Exception, CommandRefusal?> refusal)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(refusal);
        if (args.Length == 0 || (args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?" or "--version")))
            args = ["serve", .. args];

        var parsed = commands.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"{program}: {parsed.Errors[0].Message} (see '{program} --help')");
            return 2;
        }

        try
        {
            // Refusals become one line below; System.CommandLine's own handler would print a stack trace.
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OptionsValidationException exception)
        {
            await Console.Error.WriteLineAsync($"{program}: invalid settings: {string.Join("; ", exception.Failures)}");
            return 2;
        }
        catch (Exception exception) when (refusal(exception) is { } refused)
        {
            await Console.Error.WriteLineAsync($"{program}: {refused.Message}");
            return refused.ExitCode;
        }
    }
}
