namespace EdgeMdm.Drills.Harness;

/// <summary>The commands the drills run as processes (built beside this one, same configuration), and how to run one to its end.</summary>
internal static class Built
{
    /// <summary><c>Release</c> or <c>Debug</c>: the folder above <c>net10.0</c> in this program's own output path.</summary>
    private static readonly string Configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string EdgeDll => Output("edge", "EdgeMdm.Edge", "edgemdm-edge.dll");

    public static string CloudDll => Output("cloud", "EdgeMdm.Cloud", "edgemdm-cloud.dll");

    /// <summary>Runs <c>dotnet DLL ARGS</c> to its end, killed after <paramref name="timeout"/>; never throws for a non-zero exit.</summary>
    public static async Task<CommandResult> RunAsync(string dll, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Start(dll, args, environment);
        return await FinishAsync(process, timeout);
    }

    /// <summary>Runs a program of the machine (bash, unshare) to its end, killed after <paramref name="timeout"/>.</summary>
    public static async Task<CommandResult> RunProgramAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + file);
        return await FinishAsync(process, timeout);
    }

    /// <summary><c>edgemdm-edge ARGS --data-dir DIR</c>, an operator command on a site.</summary>
    public static Task<CommandResult> EdgeAsync(string dataDir, params string[] args) =>
        RunAsync(EdgeDll, [.. args, "--data-dir", dataDir], TimeSpan.FromSeconds(60));

    /// <summary>Starts <c>dotnet DLL ARGS</c> with its output redirected; <see cref="FinishAsync"/> waits for it.</summary>
    public static Process Start(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        var info = ServerProcess.DotnetStartInfo(dll, args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>(StringComparer.Ordinal))
            info.Environment[name] = value;
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet " + dll);
    }

    /// <summary>Waits for <paramref name="process"/>; one still running after <paramref name="timeout"/> is killed and the wait throws.</summary>
    public static async Task<CommandResult> FinishAsync(Process process, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(process);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException exception)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not finish within {timeout}", exception);
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    private static string Output(string area, string project, string dll) =>
        Path.Combine(Repository.Root, area, project, "bin", Configuration, "net10.0", dll);
}

internal sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>What went wrong in one line, for a broken promise.</summary>
    public string Describe() => $"exit {ExitCode}: {Stderr.Trim()} {Stdout.Trim()}".Trim();
}
