namespace EdgeMdm.Cli;

/// <summary>Options more than one command takes; each command gets an instance of its own.</summary>
internal static class CliOptions
{
    public static Option<bool> Json() => new("--json") { Description = "print JSON for scripts instead of a table" };

    public static Option<bool> PasswordStdin() => new("--password-stdin")
    {
        Description = "read the password from the first line of standard input (for scripts; otherwise it is asked for, or generated where that is offered)",
    };
}
