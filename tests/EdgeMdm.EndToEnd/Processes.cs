using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace EdgeMdm.EndToEnd;

/// <summary>Where the built commands are, and how to run them as real processes.</summary>
internal static class Processes
{
    private static readonly string Configuration =
        typeof(Processes).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => string.Equals(a.Key, "BuildConfiguration", StringComparison.Ordinal)).Value!;

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string EdgeDll => Path.Combine(RepoRoot, "edge", "EdgeMdm.Edge", "bin", Configuration, "net10.0", "edgemdm-edge.dll");

    public static string AgentDll => Path.Combine(RepoRoot, "edge", "EdgeMdm.Agent", "bin", Configuration, "net10.0", "edgemdm-agent.dll");

    public static string SeedPath => Path.Combine(AppContext.BaseDirectory, "testdata", "site-seed.yaml");

    public const string SeedToken = "test-pickers-token-0001";

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a command to completion (bounded by <paramref name="timeout"/>) and returns what it printed.</summary>
    public static async Task<CommandResult> RunAsync(string dll, IEnumerable<string> args, TimeSpan timeout)
    {
        using var process = Start(dll, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException exception)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(dll)} {string.Join(' ', args)} did not finish within {timeout}", exception);
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    public static Process Start(string dll, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet " + dll);
    }

    private static string FindRepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "EdgeMdm.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("EdgeMdm.sln not found above " + AppContext.BaseDirectory);
    }
}

internal sealed record CommandResult(int ExitCode, string Stdout, string Stderr);

/// <summary>The appliance as a separate process on a free loopback port, killable like a power cut.</summary>
internal sealed class ApplianceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ApplianceProcess(Process process, string dataDir, Uri url)
    {
        _process = process;
        DataDir = dataDir;
        Url = url;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string DataDir { get; }

    public Uri Url { get; }

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public static async Task<ApplianceProcess> StartAsync(string dataDir, int checkinIntervalSeconds = 2, int? port = null)
    {
        var url = new Uri($"http://127.0.0.1:{port ?? Processes.FreePort()}");
        var process = Processes.Start(Processes.EdgeDll,
            ["serve", "--data-dir", dataDir, "--seed", Processes.SeedPath, "--urls", url.ToString().TrimEnd('/'), "--checkin-interval", checkinIntervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var appliance = new ApplianceProcess(process, dataDir, url);
        await appliance.WaitHealthyAsync(TimeSpan.FromSeconds(30));
        return appliance;
    }

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"appliance exited with {_process.ExitCode}:\n{Log}");
            try
            {
                using var response = await http.GetAsync("/healthz");
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"appliance not healthy within {timeout}:\n{Log}");
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}

/// <summary>A temp directory removed at the end of a test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edgemdm-e2e-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created.
        }
    }
}
