namespace EdgeMdm.Edge.Cli;

/// <summary>A refusal the CLI reports as one line and an exit code (1 refused, 2 bad usage).</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
