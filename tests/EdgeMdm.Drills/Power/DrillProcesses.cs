namespace EdgeMdm.Drills.Power;

/// <summary>Where the built appliance and hub are (beside this build's configuration), and how to run a command of theirs.</summary>
internal static class DrillProcesses
{
    /// <summary>Release or Debug: the folder above this program's <c>net10.0</c>.</summary>
    private static readonly string Configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    public static string EdgeDll(string repository) => Path.Combine(repository, "edge", "EdgeMdm.Edge", "bin", Configuration, "net10.0", "edgemdm-edge.dll");

    public static string CloudDll(string repository) => Path.Combine(repository, "cloud", "EdgeMdm.Cloud", "bin", Configuration, "net10.0", "edgemdm-cloud.dll");

    /// <summary>Runs <c>dotnet DLL ARGS</c> to its end, killed after <paramref name="timeout"/>; its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string dll, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Start(dll, args, environment);
        return await FinishAsync(process, timeout);
    }

    /// <summary>Runs a program of the machine (bash, gcc) to its end, killed after <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunProgramAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + file);
        return await FinishAsync(process, timeout);
    }

    public static Process Start(string dll, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        var info = ServerProcess.DotnetStartInfo(dll, args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>(StringComparer.Ordinal))
            info.Environment[name] = value;
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet " + dll);
    }

    /// <summary>Waits for <paramref name="process"/>; one still running after <paramref name="timeout"/> is killed and the wait throws.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> FinishAsync(Process process, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(process);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException e)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(process.StartInfo.ArgumentList.FirstOrDefault())} {process.StartInfo.ArgumentList.Skip(1).FirstOrDefault()} did not finish within {timeout.TotalSeconds:0} s", e);
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
