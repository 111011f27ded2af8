namespace EdgeMdm.Drills.Faults;

/// <summary>
/// The appliance as a process of its own on a loopback https port, syncing with a hub; killable like a power cut. Its
/// clients trust exactly its site certificate's key, as its devices do.
/// </summary>
internal sealed class DrillAppliance : IAsyncDisposable
{
    private readonly ServerProcess _server;

    private DrillAppliance(ServerProcess server, string dataDir)
    {
        _server = server;
        DataDir = dataDir;
    }

    public string DataDir { get; }

    public Uri Url => _server.Url;

    public string Log => _server.Output;

    /// <summary>A client of the device API pinned to the site certificate; the caller disposes it.</summary>
    public HttpClient CreateClient() => _server.CreateClient(TimeSpan.FromSeconds(20));

    /// <param name="hub">The hub's gRPC URL (or a fault proxy in front of it); the site credential goes to a 0600 file.</param>
    /// <param name="url">Where to listen: given to start a replacement where the devices know the appliance.</param>
    /// <param name="environment">More environment for the process (libfaketime's, in the clock-jump drill).</param>
    public static async Task<DrillAppliance> StartAsync(
        string dataDir, Uri hub, string credential, CancellationToken cancellationToken, Uri? url = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        url ??= ServerProcess.FreeLoopbackUrl(Uri.UriSchemeHttps);
        // The appliance reads its credential from a 0600 file, as make run keeps it, never from its command line.
        Directory.CreateDirectory(dataDir);
        var credentialFile = Path.Combine(dataDir, "site-credential");
        await File.WriteAllTextAsync(credentialFile, credential, cancellationToken);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(credentialFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // Every simulated device enrolls from 127.0.0.1; at a site they are hundreds of addresses, so the per-address
        // enrollment limit (10/s) would only pace the drill, not test anything.
        var env = new Dictionary<string, string>(StringComparer.Ordinal) { ["EDGEMDM_Edge__Limits__EnrollmentsPerSecondPerAddress"] = "0" };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>(StringComparer.Ordinal))
            env[name] = value;
        var server = await ServerProcess.StartAsync(
            Built.EdgeDll,
            ["serve", "--data-dir", dataDir, "--urls", url.ToString().TrimEnd('/'), "--checkin-interval", "1",
                "--hub", hub.ToString().TrimEnd('/'), "--site-credential-file", credentialFile, "--sync-interval", "1"],
            url, env, cancellationToken, () => ServerProcess.SitePin(dataDir));
        return new DrillAppliance(server, dataDir);
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public Task KillAsync() => _server.KillAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
