using System.Net;

namespace EdgeMdm.Drills.Harness;

/// <summary>
/// The appliance (<c>edgemdm-edge serve</c>) as a process of its own on one data directory and one loopback https
/// address across restarts, syncing with a hub; killable like a power cut. Its clients trust exactly its site
/// certificate's key (made at its first start), as its devices do.
/// </summary>
/// <param name="uplink">The hub's gRPC URL, or a fault proxy in front of it.</param>
/// <param name="credential">The site credential; it goes to a 0600 file the appliance reads, never to its command line.</param>
/// <param name="environment">More environment for the process (libfaketime's, the power-loss shim's, settings).</param>
/// <param name="url">Where to listen: given to start a replacement where the devices know the appliance.</param>
/// <param name="checkinIntervalSeconds">What the appliance tells devices (<c>--checkin-interval</c>).</param>
internal sealed class DrillAppliance(
    string dataDir, Uri uplink, string credential, IReadOnlyDictionary<string, string>? environment = null, Uri? url = null, int checkinIntervalSeconds = 1)
    : IAsyncDisposable
{
    private static readonly TimeSpan ServingLimit = TimeSpan.FromSeconds(30);

    private ServerProcess? _server;

    public string DataDir => dataDir;

    public Uri Url { get; } = url ?? ServerProcess.FreeLoopbackUrl(Uri.UriSchemeHttps);

    public string Pin => _server?.Pin ?? ServerProcess.SitePin(dataDir) ?? throw new InvalidOperationException("the appliance has made no certificate yet");

    public string Log => _server?.Output ?? "";

    /// <summary>Per start, the seconds from starting the process to its first /healthz 200 (the host is up).</summary>
    public List<double> HealthySeconds { get; } = [];

    /// <summary>Starts a new appliance on <paramref name="dataDir"/> and waits until its host is up (<c>/healthz</c>).</summary>
    public static async Task<DrillAppliance> StartAsync(
        string dataDir, Uri uplink, string credential, CancellationToken cancellationToken, Uri? url = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var appliance = new DrillAppliance(dataDir, uplink, credential, environment, url);
        await appliance.StartProcessAsync(cancellationToken);
        return appliance;
    }

    /// <summary>A client of the device API pinned to the site certificate; the caller disposes it.</summary>
    public HttpClient CreateClient() => (_server ?? throw new InvalidOperationException("the appliance is not running")).CreateClient(TimeSpan.FromSeconds(20));

    /// <summary>
    /// Starts it (again) and waits until <c>/readyz</c> answers 200 and <paramref name="probe"/> (a device's check-in) is
    /// answered; returns how long that took from the start of the process.
    /// </summary>
    public async Task<TimeSpan> StartServingAsync(Func<CancellationToken, Task<bool>>? probe, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await StartProcessAsync(cancellationToken);
        using var http = _server!.CreateClient(TimeSpan.FromSeconds(2));
        while (!await ReadyAsync(http, cancellationToken) || (probe is not null && !await probe(cancellationToken)))
        {
            if (Stopwatch.GetElapsedTime(started) > ServingLimit)
                throw new TimeoutException($"not serving {ServingLimit.TotalSeconds:0} s after its start: {_server.Output}");
            await Task.Delay(20, cancellationToken);
        }

        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>SIGKILL: no code of the appliance runs after it.</summary>
    public async Task KillAsync()
    {
        if (_server is null)
            return;
        await _server.KillAsync();
        await _server.DisposeAsync();
        _server = null;
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var credentialFile = WriteCredential();
        // Every simulated device enrolls from 127.0.0.1; at a site they are hundreds of addresses, so the per-address
        // enrollment limit (10/s) would only pace the drill, not test anything.
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["EDGEMDM_Edge__Limits__EnrollmentsPerSecondPerAddress"] = "0" };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>(StringComparer.Ordinal))
            env[name] = value;
        _server = await ServerProcess.StartAsync(
            Built.EdgeDll,
            ["serve", "--data-dir", dataDir, "--urls", Url.ToString().TrimEnd('/'), "--checkin-interval", checkinIntervalSeconds.ToString(CultureInfo.InvariantCulture),
                "--hub", uplink.ToString().TrimEnd('/'), "--site-credential-file", credentialFile, "--sync-interval", "1"],
            Url, env, cancellationToken, () => ServerProcess.SitePin(dataDir));
        HealthySeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>The credential file, owner-only from its creation as <c>make run</c> keeps it; its path.</summary>
    private string WriteCredential()
    {
        var file = Path.Combine(dataDir, "site-credential");
        if (File.Exists(file))
            return file;
        Directory.CreateDirectory(dataDir);
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var writer = new StreamWriter(file, Encoding.ASCII, create);
        writer.Write(credential);
        return file;
    }

    private static async Task<bool> ReadyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or IOException or TaskCanceledException)
        {
            return false;
        }
    }
}
