using EdgeMdm.Edge.Hosting;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Runs an operator command (the program's own entry, <c>edgemdm-edge ...</c>) in this process against a test
/// appliance's data directory and captures what it prints. The console is the process's: test classes that use this
/// share <see cref="CustodyCliTests.Name"/>'s collection, so two never swap it at once.
/// </summary>
internal static class OperatorCli
{
    public static Task<(int Exit, string Out, string Err)> RunAsync(EdgeServer server, params string[] args) =>
        RunAsync([.. args, "--data-dir", server.DataDir]);

    /// <summary>The command line as given: for commands that work on a directory no appliance serves yet.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var exit = await EdgeCli.RunAsync(args);
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}
