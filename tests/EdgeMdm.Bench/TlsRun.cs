using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace EdgeMdm.Bench;

/// <summary>
/// The TLS scenario: the no-op endpoint served over https with a generated P-256 certificate, then the appliance on
/// its https listener (site certificate, P-256), each as a child process. For each: full TLS handshakes per second
/// (new connection, no resumption, closed once the handshake is done), then the check-in load of <see cref="LoadRun"/>
/// over TLS with a client that pins the served certificate, as a device does.
/// </summary>
internal static class TlsRun
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);
    private const int LoggedErrors = 5;

    public static async Task<TlsResult> RunAsync(string edgeDll, string seed, string enrollmentToken, BenchOptions options, TextWriter log, CancellationToken cancellationToken) =>
        await BenchProcesses.InWorkDirectoryAsync("edgemdm-bench-tls-", log, async work =>
        {
            TlsRow noop;
            {
                var (certificate, key, pin) = NoopServer.WriteCertificate(Path.Combine(work, "noop-tls"));
                var url = ServerProcess.FreeLoopbackUrl("https");
                log.WriteLine($"edgemdm-bench: tls: no-op endpoint over TLS on {url}");
                var serverGc = new Dictionary<string, string>(StringComparer.Ordinal) { ["DOTNET_gcServer"] = "1" };
                string[] args = ["noop-server", "--urls", BenchProcesses.Text(url), "--certificate", certificate, "--key", key];
                await using var server = await StartAsync("no-op endpoint over TLS", typeof(TlsRun).Assembly.Location, args, url, serverGc, () => pin, cancellationToken);
                noop = await MeasureAsync("no-op endpoint (TLS)", server, "noop-token-not-checked", options, log, cancellationToken);
            }

            TlsRow appliance;
            {
                var dataDir = Path.Combine(work, "appliance");
                var url = ServerProcess.FreeLoopbackUrl("https");
                log.WriteLine($"edgemdm-bench: tls: appliance on {url}, data in {dataDir}");
                string[] args = ["serve", "--data-dir", dataDir, "--seed", seed, "--urls", BenchProcesses.Text(url)];
                await using var server = await StartAsync("appliance", edgeDll, args, url, environment: null, () => ServerProcess.SitePin(dataDir), cancellationToken);
                appliance = await MeasureAsync("appliance (TLS)", server, enrollmentToken, options, log, cancellationToken);
            }

            return new TlsResult(options, noop, appliance);
        });

    private static async Task<TlsRow> MeasureAsync(string endpoint, ServerProcess server, string token, BenchOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var handshakes = await HandshakesAsync(endpoint, server, options, log, cancellationToken);
        var checkins = await LoadRun.RunAsync(endpoint, server, token, options, log, cancellationToken);
        return new TlsRow(handshakes, checkins);
    }

    /// <summary>
    /// <see cref="BenchOptions.HandshakeClients"/> loops, each connecting, completing a full TLS handshake (the client
    /// offers no session to resume) with the pinned certificate, and closing; warm-up, then the measured window.
    /// </summary>
    private static async Task<HandshakeResult> HandshakesAsync(string endpoint, ServerProcess server, BenchOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var pin = server.Pin ?? throw new InvalidOperationException("an https server has a pin");
        var port = server.Url.Port;
        log.WriteLine($"  {endpoint}: TLS handshakes, {options.HandshakeClients} at once; warm-up {options.Warmup.TotalSeconds:0.#} s, measuring {options.Duration.TotalSeconds:0.#} s");
        long errors = 0;
        var start = Stopwatch.GetTimestamp();
        var windowStart = start + BenchProcesses.Ticks(options.Warmup);
        var windowEnd = windowStart + BenchProcesses.Ticks(options.Duration);

        async Task<List<long>> LoopAsync()
        {
            var latencies = new List<long>(4096);
            while (Stopwatch.GetTimestamp() < windowEnd)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await HandshakeAsync(port, pin, cancellationToken);
                    var finished = Stopwatch.GetTimestamp();
                    if (finished >= windowStart && finished <= windowEnd)
                        latencies.Add(finished - started);
                }
                catch (Exception e) when (e is IOException or SocketException or AuthenticationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    var count = Interlocked.Increment(ref errors);
                    if (count <= LoggedErrors)
                        log.WriteLine($"  {endpoint}: handshake failed: {e.GetType().Name}: {e.Message}");
                }
            }

            return latencies;
        }

        var loops = Enumerable.Range(0, options.HandshakeClients).Select(_ => Task.Run(LoopAsync, CancellationToken.None)).ToArray();
        await Task.Delay(Until(windowStart), cancellationToken);
        var before = server.Sample();
        var machineBefore = MachineCpu.Read();
        await Task.Delay(Until(windowEnd), cancellationToken);
        var after = server.Sample();
        var machineAfter = MachineCpu.Read();
        var sorted = (await Task.WhenAll(loops)).SelectMany(l => l).ToArray();
        Array.Sort(sorted);
        var seconds = options.Duration.TotalSeconds;
        var measured = (after.Timestamp - before.Timestamp) / (double)Stopwatch.Frequency;
        return new HandshakeResult(
            sorted.Length,
            sorted.Length / seconds,
            NearestRank.Ms(sorted, 0.50),
            NearestRank.Ms(sorted, 0.99),
            Interlocked.Read(ref errors),
            (after.Cpu - before.Cpu).TotalSeconds / measured,
            MachineCpu.BusyCores(machineBefore, machineAfter));
    }

    /// <summary>One full handshake: TCP connect, TLS with ALPN http/1.1 as the device's client offers, pinned, no resumption; then a reset close.</summary>
    private static async Task HandshakeAsync(int port, string pin, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HandshakeTimeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        // Closed with a reset: tens of thousands of connections a minute would otherwise leave as many ports in
        // TIME_WAIT on the client side and run out of them.
        socket.LingerState = new LingerOption(enable: true, seconds: 0);
        await socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        await using var network = new NetworkStream(socket, ownsSocket: false);
        await using var tls = new SslStream(network, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                AllowTlsResume = false,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && string.Equals(ServerProcess.PinOf(certificate), pin, StringComparison.OrdinalIgnoreCase),
            },
            timeout.Token);
    }

    private static async Task<ServerProcess> StartAsync(
        string name, string dll, IEnumerable<string> args, Uri url, IReadOnlyDictionary<string, string>? environment, Func<string?> pin, CancellationToken cancellationToken)
    {
        try
        {
            return await ServerProcess.StartAsync(dll, args, url, environment, cancellationToken, pin);
        }
        catch (ServerStartException e)
        {
            throw new ServerStartException($"the {name} did not start: {e.Message}", e);
        }
    }

    private static TimeSpan Until(long timestamp)
    {
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}

/// <summary>Nearest-rank percentiles of Stopwatch-tick samples.</summary>
internal static class NearestRank
{
    /// <summary>Nearest rank, in milliseconds, of sorted ticks; NaN when there are none.</summary>
    public static double Ms(IReadOnlyList<long> sortedTicks, double q) =>
        sortedTicks.Count == 0
            ? double.NaN
            : sortedTicks[Math.Clamp((int)Math.Ceiling(q * sortedTicks.Count) - 1, 0, sortedTicks.Count - 1)] * 1000.0 / Stopwatch.Frequency;
}

/// <param name="ServerCores">CPU of the server process over the window, divided by the window.</param>
/// <param name="MachineCores">Cores busy on the whole machine over the window.</param>
internal sealed record HandshakeResult(long Handshakes, double PerSecond, double P50Ms, double P99Ms, long Errors, double ServerCores, double MachineCores);

internal sealed record TlsRow(HandshakeResult Handshakes, RunResult Checkins);

internal sealed record TlsResult(BenchOptions Options, TlsRow Noop, TlsRow Appliance)
{
    public long Errors => Noop.Handshakes.Errors + Noop.Checkins.Errors + Appliance.Handshakes.Errors + Appliance.Checkins.Errors;
}
