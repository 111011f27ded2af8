using System.Net.Sockets;
using System.Reflection;

namespace EdgeMdm.EndToEnd;

/// <summary>Where the built commands are, and how to run them as real processes.</summary>
internal static class Processes
{
    private static readonly string Configuration =
        typeof(Processes).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => string.Equals(a.Key, "BuildConfiguration", StringComparison.Ordinal)).Value!;

    public static string RepoRoot { get; } = Repository.Root;

    public static string EdgeDll => Path.Combine(RepoRoot, "edge", "EdgeMdm.Edge", "bin", Configuration, "net10.0", "edgemdm-edge.dll");

    public static string CloudDll => Path.Combine(RepoRoot, "cloud", "EdgeMdm.Cloud", "bin", Configuration, "net10.0", "edgemdm-cloud.dll");

    public static string AgentDll => Path.Combine(RepoRoot, "edge", "EdgeMdm.Agent", "bin", Configuration, "net10.0", "edgemdm-agent.dll");

    public static string SeedPath => Path.Combine(AppContext.BaseDirectory, "testdata", "site-seed.yaml");

    public const string SeedToken = "test-pickers-token-0001";

    /// <summary>Runs a command to completion (bounded by <paramref name="timeout"/>) and returns what it printed.</summary>
    public static async Task<CommandResult> RunAsync(string dll, IEnumerable<string> args, TimeSpan timeout)
    {
        using var process = Start(dll, args);
        return await FinishAsync(process, timeout);
    }

    /// <summary>Runs a program of the machine (mosquitto_pub, ip, bash) to completion, bounded by <paramref name="timeout"/>.</summary>
    public static async Task<CommandResult> RunProgramAsync(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        using var process = StartProgram(file, args);
        return await FinishAsync(process, timeout);
    }

    /// <summary>
    /// Waits for a started process to exit and returns what it printed; one still running after
    /// <paramref name="timeout"/> is killed with its children and the wait fails with a <see cref="TimeoutException"/>.
    /// </summary>
    public static async Task<CommandResult> FinishAsync(Process process, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(process);
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
            throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not finish within {timeout}", exception);
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts a program of the machine with its output redirected.</summary>
    public static Process StartProgram(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start " + file);
    }

    public static Process Start(string dll, IEnumerable<string> args) =>
        Process.Start(ServerProcess.DotnetStartInfo(dll, args)) ?? throw new InvalidOperationException("could not start dotnet " + dll);
}

internal sealed record CommandResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// The appliance as a separate process on a free loopback port, killable like a power cut. It serves https with its site
/// certificate, and everything that talks to it trusts exactly that certificate's key (<see cref="Pin"/>, what
/// <c>edgemdm-edge tls show</c> prints), as a site's devices do.
/// </summary>
internal sealed class ApplianceProcess : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private ApplianceProcess(ServerProcess server) => _server = server;

    public Uri Url => _server.Url;

    /// <summary>The pin of the certificate it serves.</summary>
    public string Pin => _server.Pin!;

    /// <summary><c>--server URL --pin HEX</c>, for <c>edgemdm-agent</c>.</summary>
    public IReadOnlyList<string> AgentArgs => ["--server", Url.ToString(), "--pin", Pin];

    /// <summary>A client of the device API, pinned to its certificate; the caller disposes it.</summary>
    public HttpClient CreateClient(TimeSpan? timeout = null) => _server.CreateClient(timeout);

    public string Log => _server.Output;

    /// <summary>The appliance's process id, for reading its threads under /proc.</summary>
    public int ProcessId => _server.Id;

    /// <param name="hub">With a hub (its gRPC URL and the site credential) the site gets blueprints and tokens from it
    /// and no seed; without, it runs on the test seed alone.</param>
    /// <param name="seed">Apply the test seed (default: only without a hub).</param>
    /// <param name="extraArgs">More switches for <c>serve</c>, e.g. <c>--mqtt-listen</c>.</param>
    /// <param name="url">Where to listen (a restart on the same address); default a free loopback port.</param>
    public static async Task<ApplianceProcess> StartAsync(
        string dataDir, int checkinIntervalSeconds = 2, (Uri Url, string Credential)? hub = null, bool? seed = null, IEnumerable<string>? extraArgs = null, Uri? url = null)
    {
        url ??= ServerProcess.FreeLoopbackUrl(Uri.UriSchemeHttps);
        List<string> args = ["serve", "--data-dir", dataDir, "--urls", url.ToString().TrimEnd('/'),
            "--checkin-interval", checkinIntervalSeconds.ToString(CultureInfo.InvariantCulture)];
        if (hub is { } h)
            args.AddRange(["--hub", h.Url.ToString().TrimEnd('/'), "--site-credential-file", SiteCredentialFile(dataDir, h.Credential), "--sync-interval", "1"]);
        if (seed ?? hub is null)
            args.AddRange(["--seed", Processes.SeedPath]);
        args.AddRange(extraArgs ?? []);
        var server = await ServerProcess.StartAsync(Processes.EdgeDll, args, url, environment: null, CancellationToken.None, () => ServerProcess.SitePin(dataDir));
        return new ApplianceProcess(server);
    }

    /// <summary>
    /// <paramref name="credential"/> written to <c>DATA/site-credential</c> with mode 0600, as <c>make run</c> keeps it:
    /// the appliance reads it from there (<c>--site-credential-file</c>), never from its command line, which <c>ps</c> shows.
    /// </summary>
    public static string SiteCredentialFile(string dataDir, string credential)
    {
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(dataDir);
        else
            Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = Path.Combine(dataDir, "site-credential");
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new StreamWriter(path, System.Text.Encoding.ASCII, create))
            file.Write(credential);
        return path;
    }

    /// <summary>A loopback port free now (released before the caller binds it).</summary>
    public static int FreePort() => ServerProcess.FreeLoopbackUrl().Port;

    /// <summary>The site certificate authority the appliance made in <paramref name="dataDir"/> (what <c>--cafile</c> trusts).</summary>
    public static string SiteCaPath(string dataDir) => Path.Combine(dataDir, "tls", "site-ca.pem");

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut.</summary>
    public Task KillAsync() => _server.KillAsync();

    /// <summary>SIGTERM, as systemd stops it: what the appliance keeps in memory until then (last-seen times) is written.</summary>
    public Task StopAsync() => _server.StopAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();
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
