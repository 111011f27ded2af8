using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeMdm.Testing;

// Shared by the end-to-end tests and the bench (linked into both projects): one way to run a server under test.

/// <summary>A server under test: a child process (<c>dotnet some.dll ...</c>) on a loopback port.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private const int KeptLines = 200;

    private readonly Process _process;
    private readonly ProcessOutput _output;

    private ServerProcess(Process process, Uri url)
    {
        _process = process;
        _output = new ProcessOutput(process, KeptLines);
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>For an https server: the pin of its certificate, which <see cref="CreateClient"/> trusts and nothing else.</summary>
    public string? Pin { get; private set; }

    /// <summary>
    /// A client for the server, which the caller disposes: over https it accepts only the certificate whose key has
    /// <see cref="Pin"/>, as a device that was given the pin does.
    /// </summary>
    public HttpClient CreateClient(TimeSpan? timeout = null)
    {
        var client = new HttpClient(PinnedHandler(Pin)) { BaseAddress = Url };
        if (timeout is { } limit)
            client.Timeout = limit;
        return client;
    }

    /// <summary>A handler that accepts, over https, only a certificate whose key has <paramref name="pin"/>; null: plain HTTP.</summary>
    public static SocketsHttpHandler PinnedHandler(string? pin)
    {
        var handler = new SocketsHttpHandler();
        if (pin is not null)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && string.Equals(PinOf(certificate), pin, StringComparison.OrdinalIgnoreCase);
        return handler;
    }

    /// <summary>Hex SHA-256 of a certificate's SubjectPublicKeyInfo, as <c>edgemdm-edge tls show</c> prints it.</summary>
    public static string PinOf(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var loaded = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return Convert.ToHexStringLower(SHA256.HashData(loaded.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>
    /// The pin of the site certificate an appliance on <paramref name="dataDir"/> made at its start (<c>DATA/tls/server.pem</c>,
    /// what <c>edgemdm-edge tls show</c> prints); null until it made one.
    /// </summary>
    public static string? SitePin(string dataDir)
    {
        var path = Path.Combine(dataDir, "tls", "server.pem");
        if (!File.Exists(path))
            return null;
        using var certificate = X509CertificateLoader.LoadCertificateFromFile(path);
        return PinOf(certificate);
    }

    /// <summary>The process id, for reading its threads under /proc.</summary>
    public int Id => _process.Id;

    /// <summary>
    /// A free loopback URL. The port is released before the server binds it, so it is drawn below the kernel's
    /// ephemeral range (32768 and up on Linux): a port the kernel hands out itself (every outgoing connection of a test
    /// running beside this one takes one) could be taken in between, and a CI run saw exactly that.
    /// </summary>
    public static Uri FreeLoopbackUrl(string scheme = "http") =>
        new(scheme + "://127.0.0.1:" + FreeLoopbackPort().ToString(CultureInfo.InvariantCulture));

    private static int FreeLoopbackPort()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: draw another.
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts <c>dotnet <paramref name="dll"/> args</c> and waits until <c>GET /healthz</c> answers 200.</summary>
    /// <param name="pin">
    /// For an https <paramref name="url"/>: the pin of the certificate the server serves, asked until it is known (an
    /// appliance makes its certificate as it starts: <see cref="SitePin"/>); its answer is <see cref="Pin"/>.
    /// </param>
    /// <exception cref="ServerStartException">It exited, or did not answer in time; the message says why in one line.</exception>
    public static async Task<ServerProcess> StartAsync(
        string dll, IEnumerable<string> args, Uri url, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken, Func<string?>? pin = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (string.Equals(url.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal) && pin is null)
            throw new ArgumentException("an https server is reached with the pin of its certificate", nameof(pin));
        var info = DotnetStartInfo(dll, args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>(StringComparer.Ordinal))
            info.Environment[name] = value;

        var process = Process.Start(ProcessWeight.AtServerWeight(info)) ?? throw new ServerStartException("could not start " + info.FileName);
        var server = new ServerProcess(process, url);
        try
        {
            await server.WaitHealthyAsync(pin, cancellationToken);
            // Read once it answers: until then the child may still be `nice` itself, before it exec'd the server.
            if (ProcessWeight.IsAtLoadWeight(process.Id))
                await Console.Error.WriteLineAsync($"warning: {Path.GetFileName(dll)} runs at the load generator's weight ({ProcessWeight.LoadWeight}), not the normal one: leaving it needs root");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>CPU time, memory and disk writes of the server so far (from /proc on Linux).</summary>
    public ProcessSample Sample()
    {
        _process.Refresh();
        return new ProcessSample(
            Stopwatch.GetTimestamp(), _process.TotalProcessorTime, _process.WorkingSet64, _process.PeakWorkingSet64, DiskWriteBytes(_process.Id));
    }

    /// <summary>
    /// CPU time (user + system) of the server's threads named <paramref name="threadName"/> so far, from
    /// /proc/PID/task (Linux truncates thread names to 15 characters); zero where unknown.
    /// </summary>
    public TimeSpan ThreadCpu(string threadName)
    {
        ArgumentNullException.ThrowIfNull(threadName);
        long ticks = 0;
        try
        {
            foreach (var thread in KernelThread.Named(_process.Id, threadName))
                ticks += thread.CpuTicks;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or the thread ended while being read: what was counted so far.
        }

        // USER_HZ is 100 on every Linux the bench runs on.
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>Bytes the process caused to be written to storage (<c>write_bytes</c> of /proc/PID/io), or 0 where unknown.</summary>
    internal static long DiskWriteBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/io"))
            {
                if (line.StartsWith("write_bytes:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan("write_bytes:".Length).Trim(), CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or not allowed: the figure is left out.
        }

        return 0;
    }

    /// <summary>The last lines the server printed, for a failure message.</summary>
    public string Output => _output.Text;

    /// <summary>SIGKILL, as in a power cut: no shutdown code of the server runs.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// SIGTERM, as systemd stops a service: the server runs its shutdown (the hosted services' stops) and exits; waits up
    /// to 10 s for it. Throws when it is still running then.
    /// </summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
            return;
        using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            await term!.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(StopTimeout);
        await _process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAndDisposeAsync(_process, StopTimeout);
    }

    /// <summary>Kills a child server (its whole tree), waits up to <paramref name="limit"/> for it to go, and disposes it.</summary>
    public static async Task KillAndDisposeAsync(Process process, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(limit);
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // Already gone, or not gone within the timeout: nothing more a harness can do.
        }

        process.Dispose();
    }

    private async Task WaitHealthyAsync(Func<string?>? pin, CancellationToken cancellationToken)
    {
        HttpClient? http = null;
        try
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(StartTimeout.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < deadline)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_process.HasExited)
                {
                    await _process.WaitForExitAsync(cancellationToken); // flushes the output readers
                    throw new ServerStartException($"exited with code {_process.ExitCode}: {LastLine()}");
                }

                // Over https, asked only once the certificate's pin is known.
                Pin ??= pin?.Invoke();
                if (http is null && (pin is null || Pin is not null))
                    http = CreateClient(TimeSpan.FromSeconds(2));
                try
                {
                    if (http is not null)
                    {
                        using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative), cancellationToken);
                        if (response.StatusCode == HttpStatusCode.OK)
                            return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Not answering yet.
                }

                await Task.Delay(100, cancellationToken);
            }

            throw new ServerStartException($"no 200 from {Url}healthz within {StartTimeout.TotalSeconds:0} s: {LastLine()}");
        }
        finally
        {
            http?.Dispose();
        }
    }

    private string LastLine() => _output.LastLine() ?? "(it printed nothing)";

    /// <summary>The dotnet host that runs this process when it is the muxer, else the one on PATH.</summary>
    /// <summary><c>dotnet DLL ARGS</c> on the host running this process, with standard output and error captured.</summary>
    public static ProcessStartInfo DotnetStartInfo(string dll, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return info;
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : string.Equals(Path.GetFileNameWithoutExtension(Environment.ProcessPath), "dotnet", StringComparison.Ordinal) ? Environment.ProcessPath!
        : "dotnet";
}

/// <summary>One reading of a process's counters.</summary>
internal sealed record ProcessSample(long Timestamp, TimeSpan Cpu, long RssBytes, long PeakRssBytes, long DiskWriteBytes);

/// <summary>A server did not come up; the message is one line for the person running the bench.</summary>
internal sealed class ServerStartException : Exception
{
    public ServerStartException()
    {
    }

    public ServerStartException(string message)
        : base(message)
    {
    }

    public ServerStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
