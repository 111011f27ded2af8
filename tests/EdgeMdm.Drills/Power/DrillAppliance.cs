using System.Net;

namespace EdgeMdm.Drills.Power;

/// <summary>
/// The appliance (<c>edgemdm-edge serve</c>) on one data directory and one https address across restarts, syncing
/// with the drill's hub; the site certificate's pin (made at its first start) is what every client trusts.
/// </summary>
internal sealed class DrillAppliance(string edgeDll, string dataDirectory, DrillHub hub, IReadOnlyDictionary<string, string> environment) : IAsyncDisposable
{
    private static readonly TimeSpan ServingLimit = TimeSpan.FromSeconds(30);

    private ServerProcess? _server;

    public Uri Url { get; } = ServerProcess.FreeLoopbackUrl(Uri.UriSchemeHttps);

    public string Pin => _server?.Pin ?? ServerProcess.SitePin(dataDirectory) ?? throw new InvalidOperationException("the appliance has made no certificate yet");

    public string Log => _server?.Output ?? "";

    /// <summary>Per start, the seconds from starting the process to its first /healthz 200 (the host is up).</summary>
    public List<double> HealthySeconds { get; } = [];

    /// <summary>
    /// Starts it and waits until <c>/readyz</c> answers 200 and <paramref name="probe"/> (a device's check-in) is
    /// answered; returns how long that took from the start of the process.
    /// </summary>
    public async Task<TimeSpan> StartAsync(Func<CancellationToken, Task<bool>>? probe, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var credential = Path.Combine(dataDirectory, "site-credential");
        if (!File.Exists(credential))
        {
            // Owner-only, as make run keeps it: the appliance reads it from there, never from its command line.
            Directory.CreateDirectory(dataDirectory);
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using var file = new StreamWriter(credential, Encoding.ASCII, create);
            file.Write(hub.Credential);
        }

        _server = await ServerProcess.StartAsync(edgeDll, [
            "serve", "--data-dir", dataDirectory, "--urls", Url.ToString().TrimEnd('/'), "--checkin-interval", "30",
            "--hub", hub.GrpcUrl.ToString().TrimEnd('/'), "--site-credential-file", credential, "--sync-interval", "1",
        ], Url, environment, cancellationToken, () => ServerProcess.SitePin(dataDirectory));
        HealthySeconds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
        using var http = _server.CreateClient(TimeSpan.FromSeconds(2));
        while (!await ReadyAsync(http, cancellationToken) || (probe is not null && !await probe(cancellationToken)))
        {
            if (Stopwatch.GetElapsedTime(started) > ServingLimit)
                throw new TimeoutException($"not serving {ServingLimit.TotalSeconds:0} s after its start: {_server.Output}");
            await Task.Delay(20, cancellationToken);
        }

        return Stopwatch.GetElapsedTime(started);
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
}
