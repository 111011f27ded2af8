using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// A network namespace this test creates (tests/scripts/netns.sh): only a loopback with the MULTICAST flag and a route
/// for 224.0.0.0/4, so multicast tests never touch the host's interfaces. Deleted on dispose.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private const int NewNetworkNamespace = 0x40000000; // CLONE_NEWNET

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    private static string Script => Path.Combine(Processes.RepoRoot, "tests", "scripts", "netns.sh");

    /// <summary>
    /// A new namespace, or a skip (a failure under CI=true) naming what is missing: root, iproute2, or <paramref name="commands"/>.
    /// </summary>
    public static async Task<NetworkNamespace> CreateOrSkipAsync(params string[] commands)
    {
        var missing = !Environment.IsPrivilegedProcess ? "creating a network namespace needs root"
            : commands.Prepend("ip").FirstOrDefault(command => !OnPath(command)) is { } absent ? $"'{absent}' is not installed (tests/scripts/setup.sh installs it)"
            : null;
        if (missing is null)
        {
            var name = "edgemdm-" + Guid.NewGuid().ToString("N")[..10];
            var created = await Processes.RunProgramAsync("bash", [Script, "create", name], TimeSpan.FromSeconds(30));
            if (created.ExitCode == 0)
                return new NetworkNamespace(name);
            missing = "netns.sh create failed: " + created.Stderr.Trim();
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail("multicast tests must run under CI=true but cannot: " + missing);
        Skip.If(true, "multicast tests need a network namespace of their own: " + missing);
        throw new InvalidOperationException("unreachable: Skip.If(true) throws");
    }

    /// <summary>Joins this namespace and <paramref name="other"/> by a veth pair, interface <c>mdns0</c> on both sides.</summary>
    /// <param name="address">This side's address with its prefix, e.g. 10.9.0.1/24.</param>
    public async Task LinkAsync(string address, NetworkNamespace other, string otherAddress)
    {
        var linked = await Processes.RunProgramAsync("bash", [Script, "link", Name, address, other.Name, otherAddress], TimeSpan.FromSeconds(30));
        Assert.True(linked.ExitCode == 0, "netns.sh link failed: " + linked.Stderr);
    }

    /// <summary>Starts <paramref name="file"/> inside the namespace (<c>ip netns exec</c> replaces itself with it).</summary>
    public Process Start(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "netns", "exec", Name, file }.Concat(args))
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return Process.Start(info) ?? throw new InvalidOperationException("could not start ip netns exec");
    }

    public Task<CommandResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout) =>
        Processes.RunProgramAsync("ip", new[] { "netns", "exec", Name, file }.Concat(args), timeout);

    /// <summary>
    /// A UDP socket that lives in the namespace: made on a thread that entered it (setns(2) changes only the calling
    /// thread), so the test process itself can listen and send there.
    /// </summary>
    public Socket OpenUdpSocket(Action<Socket> configure, AddressFamily family = AddressFamily.InterNetwork)
    {
        Socket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(Path.Combine("/var/run/netns", Name));
                if (SetNamespace((int)handle.DangerousGetHandle(), NewNetworkNamespace) != 0)
                    throw new IOException("setns failed: errno " + Marshal.GetLastPInvokeError());
                socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
                configure(socket);
            }
            catch (Exception e) when (e is IOException or SocketException or UnauthorizedAccessException)
            {
                socket?.Dispose();
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket is not null && failure is null ? socket : throw new InvalidOperationException("could not open a socket in " + Name, failure);
    }

    /// <summary>A socket in the namespace on the mDNS port that has joined 224.0.0.251 on its loopback.</summary>
    public Socket OpenMdnsListener() => OpenUdpSocket(socket =>
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(IPAddress.Any, 5353));
        socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(IPAddress.Parse("224.0.0.251"), IPAddress.Loopback));
    });

    /// <summary>Runs <c>ip ARGS</c> inside the namespace and fails the test if it fails.</summary>
    public async Task<string> IpAsync(params string[] args)
    {
        var result = await RunAsync("ip", args, TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"ip {string.Join(' ', args)} in {Name}: {result.Stderr}");
        return result.Stdout;
    }

    /// <summary>A socket in the namespace on [::]:5353 that has joined ff02::fb on interface <paramref name="interfaceName"/>.</summary>
    public async Task<Socket> OpenMdnsListenerV6Async(string interfaceName)
    {
        // "5: mdns0@if6: <...>": the index as the namespace numbers it.
        var index = int.Parse((await IpAsync("-o", "link", "show", interfaceName)).Split(':')[0], CultureInfo.InvariantCulture);
        return OpenUdpSocket(
            socket =>
            {
                socket.DualMode = false;
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 5353));
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(IPAddress.Parse("ff02::fb"), index));
            },
            AddressFamily.InterNetworkV6);
    }

    public void Dispose()
    {
        using var delete = Process.Start(new ProcessStartInfo("bash", [Script, "delete", Name]) { UseShellExecute = false });
        delete?.WaitForExit(10_000);
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Any(directory => File.Exists(Path.Combine(directory, command)));

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetNamespace(int namespaceFile, int kind);
}
