using System.Net.Sockets;
using System.Text.RegularExpressions;
using EdgeMdm.Discovery.Dns;
using EdgeMdm.Discovery.Service;

namespace EdgeMdm.EndToEnd;

/// <summary>Every mDNS message a socket in a namespace hears, collected in the background until disposed.</summary>
internal sealed class MdnsListener : IAsyncDisposable
{
    private static readonly TimeSpan Patience = MdnsDiscoveryTests.Patience;

    private readonly List<DnsMessage> _heard = [];
    private readonly Task _listening;

    public MdnsListener(Socket socket)
    {
        Socket = socket;
        _listening = ListenAsync();
    }

    /// <summary>The listening socket, which can also send (from the mDNS port).</summary>
    public Socket Socket { get; }

    /// <summary>What was heard so far, in order.</summary>
    public List<DnsMessage> Messages()
    {
        lock (_heard)
            return [.. _heard];
    }

    /// <summary>What was heard once <paramref name="condition"/> holds; fails the test after 20 s, with the appliance's log.</summary>
    public async Task<List<DnsMessage>> WaitForAsync(Func<List<DnsMessage>, bool> condition, string what, NamespacedAppliance appliance)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Patience.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            lock (_heard)
            {
                if (condition(_heard))
                    return [.. _heard];
            }

            await Task.Delay(50);
        }

        Assert.Fail($"heard no {what} within {Patience.TotalSeconds} s; appliance log:\n{appliance.Log}");
        return [];
    }

    public async ValueTask DisposeAsync()
    {
        Socket.Dispose();
        await _listening;
    }

    private async Task ListenAsync()
    {
        var buffer = new byte[9000];
        try
        {
            while (true)
            {
                var any = Socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
                var received = await Socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(any, 0));
                if (DnsMessageReader.Read(buffer.AsSpan(0, received.ReceivedBytes)).Message is { } message)
                {
                    lock (_heard)
                        _heard.Add(message);
                }
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            // The test is over.
        }
    }
}

/// <summary>The appliance as a process inside a namespace, with mDNS on and the test seed, on https://127.0.0.1:8443 there.</summary>
internal sealed class NamespacedAppliance : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _data;
    private readonly ProcessOutput _output;

    private NamespacedAppliance(Process process, TempDirectory data)
    {
        _process = process;
        _data = data;
        _output = new ProcessOutput(process);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The pin of its site certificate, as <c>edgemdm-edge tls show</c> prints it (and its TXT record carries).</summary>
    public string? Pin => ServerProcess.SitePin(_data.Path);

    public string Log => _output.Text;

    /// <summary>Starts it and waits for its first announcement (Kestrel listens by then: the port comes from it).</summary>
    public static async Task<NamespacedAppliance> StartAsync(NetworkNamespace ns, string url = "https://127.0.0.1:8443", params string[] extraArgs)
    {
        var data = new TempDirectory();
        var process = ns.Start("dotnet",
        [
            Processes.EdgeDll, "serve", "--data-dir", data.Path, "--seed", Processes.SeedPath, "--urls", url,
            "--Edge:Mdns:Enabled", "true", .. extraArgs,
        ]);
        var appliance = new NamespacedAppliance(process, data);
        var deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        while (!appliance.Log.Contains("mDNS: announcing", StringComparison.Ordinal))
        {
            if (process.HasExited || Stopwatch.GetTimestamp() > deadline)
            {
                var log = appliance.Log;
                await appliance.DisposeAsync();
                Assert.Fail("the appliance did not announce itself:\n" + log);
            }

            await Task.Delay(50);
        }

        return appliance;
    }

    /// <summary>Waits up to 10 s for a log line containing <paramref name="text"/>; the caller asserts.</summary>
    public async Task WaitForLogAsync(string text)
    {
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (!Log.Contains(text, StringComparison.Ordinal) && Stopwatch.GetTimestamp() < deadline)
            await Task.Delay(50);
    }

    /// <summary>SIGTERM, as systemd stops it: the host shuts down and the responder says goodbye.</summary>
    public async Task StopAsync()
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            await kill!.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }

        _process.Dispose();
        _data.Dispose();
    }
}
