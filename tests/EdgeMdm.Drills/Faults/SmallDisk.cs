namespace EdgeMdm.Drills.Faults;

/// <summary>
/// An appliance whose data directory is a small tmpfs mounted in a mount namespace of the drill's own (unshare), so nothing
/// of it is seen outside and it goes when the namespace's last process does. A bash script in the namespace runs the
/// appliance and fills or frees the disk when the drill asks on its standard input; the drill reads the appliance's files
/// through <c>/proc/PID/root</c>, the namespace's view.
/// </summary>
internal sealed class SmallDisk : IAsyncDisposable
{
    private readonly Process _namespace;
    private readonly string _disk;

    private SmallDisk(Process process, string disk, Uri url)
    {
        _namespace = process;
        _disk = disk;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>
    /// The appliance's data directory, as seen from outside the namespace: for plain file reads only, since SQLite resolves
    /// the <c>/proc/PID/root</c> link to <c>/</c> and so opens the path in the drill's own namespace (<see cref="StopAsync"/>).
    /// </summary>
    public string DataDir => $"/proc/{_namespace.Id.ToString(CultureInfo.InvariantCulture)}/root{_disk}/data";

    /// <summary>Starts the namespace and the appliance in it (the test seed, no hub), and waits until it serves.</summary>
    public static async Task<SmallDisk> StartAsync(string workDirectory, int sizeMiB, string floorBytes, CancellationToken cancellationToken)
    {
        var disk = Path.Combine(workDirectory, "disk");
        var url = ServerProcess.FreeLoopbackUrl(Uri.UriSchemeHttps);
        var seed = Path.Combine(Repository.Root, "tests", "EdgeMdm.Edge.Tests", "testdata", "site-seed.yaml");
        var script = $$"""
            set -u
            disk='{{disk}}'
            mkdir -p "$disk" && mount -t tmpfs -o size={{sizeMiB}}m tmpfs "$disk" || { echo "cannot mount a tmpfs"; exit 90; }
            EDGEMDM_Edge__Limits__EnrollmentsPerSecondPerAddress=0 dotnet '{{Built.EdgeDll}}' serve --data-dir "$disk/data" --seed '{{seed}}' \
                --urls {{url.ToString().TrimEnd('/')}} --checkin-interval 1 --Edge:StorageFloorBytes {{floorBytes}} > '{{workDirectory}}/edge.log' 2>&1 &
            edge=$!
            trap 'kill $edge 2>/dev/null; wait $edge' EXIT
            echo started
            while read -r command; do
                case $command in
                    fill) dd if=/dev/zero of="$disk/filler" bs=64k 2>/dev/null; echo "full $(df --output=avail -B1 "$disk" | tail -1)";;
                    free) rm -f "$disk/filler"; echo "free $(df --output=avail -B1 "$disk" | tail -1)";;
                    stop) kill $edge; wait $edge; echo "stopped $? $(cp "$disk"/data/edge.db* '{{workDirectory}}/' 2>&1)";;
                    *) echo "unknown $command";;
                esac
            done
            """;
        var info = new ProcessStartInfo("unshare", ["--mount", "--propagation", "private", "--", "bash", "-c", script])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start unshare");
        var small = new SmallDisk(process, disk, url);
        try
        {
            var first = await small.ReadLineAsync(cancellationToken);
            if (!string.Equals(first, "started", StringComparison.Ordinal))
                throw new InvalidOperationException($"the small disk's namespace did not start (unshare --mount needs root): {first} {await process.StandardError.ReadToEndAsync(cancellationToken)}");
            await small.WaitServingAsync(workDirectory, cancellationToken);
            return small;
        }
        catch
        {
            await small.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client pinned to the appliance's site certificate; the caller disposes it.</summary>
    public HttpClient CreateClient() =>
        new(ServerProcess.PinnedHandler(ServerProcess.SitePin(DataDir))) { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>Fills the disk to its last byte; returns what the script said (<c>full BYTES-LEFT</c>).</summary>
    public async Task<string> FillAsync(CancellationToken cancellationToken)
    {
        await _namespace.StandardInput.WriteLineAsync("fill".AsMemory(), cancellationToken);
        await _namespace.StandardInput.FlushAsync(cancellationToken);
        return await ReadLineAsync(cancellationToken);
    }

    /// <summary>Gives the space back; returns what the script said (<c>free BYTES-LEFT</c>).</summary>
    public async Task<string> FreeAsync(CancellationToken cancellationToken)
    {
        await _namespace.StandardInput.WriteLineAsync("free".AsMemory(), cancellationToken);
        await _namespace.StandardInput.FlushAsync(cancellationToken);
        return await ReadLineAsync(cancellationToken);
    }

    /// <summary>
    /// Stops the appliance (SIGTERM, as systemd does) and copies its database files out of the namespace into the work
    /// directory, where SQLite can open them; returns what the script said (<c>stopped EXIT-CODE</c>).
    /// </summary>
    public async Task<string> StopAsync(CancellationToken cancellationToken)
    {
        await _namespace.StandardInput.WriteLineAsync("stop".AsMemory(), cancellationToken);
        await _namespace.StandardInput.FlushAsync(cancellationToken);
        return await ReadLineAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        // End of input ends the script, whose trap stops the appliance; the kill is for a script that does not go.
        _namespace.StandardInput.Close();
        await ServerProcess.KillAndDisposeAsync(_namespace, TimeSpan.FromSeconds(15));
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        return await _namespace.StandardOutput.ReadLineAsync(limit.Token) ?? "(the namespace's script ended)";
    }

    private async Task WaitServingAsync(string workDirectory, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(Path.Combine(DataDir, "tls", "server.pem")))
            {
                try
                {
                    using var client = CreateClient();
                    using var health = await client.GetAsync("/healthz", cancellationToken);
                    if (health.IsSuccessStatusCode)
                        return;
                }
                catch (Exception e) when (e is HttpRequestException or System.Security.Cryptography.CryptographicException)
                {
                    // Not listening yet, or its certificate half written.
                }
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new InvalidOperationException("the appliance on the small disk did not serve within a minute: " + await File.ReadAllTextAsync(Path.Combine(workDirectory, "edge.log"), cancellationToken));
    }
}
