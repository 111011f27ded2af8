using System.Net;
using System.Net.Sockets;

namespace EdgeMdm.Bench;

/// <summary>
/// Debian's Mosquitto on a free loopback port with a configuration of its own (not /etc/mosquitto), stopped with the
/// run: listener on 127.0.0.1 only, anonymous logins (the subscribers send their device credentials; Mosquitto does
/// not check them: login cost is paid before the measured rounds on either side), no persistence, and a queue per
/// client that holds a whole round.
/// </summary>
internal sealed class MosquittoProcess : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/mosquitto";
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(10);
    private readonly Process _process;

    private MosquittoProcess(Process process, Uri url, string version)
    {
        _process = process;
        Url = url;
        Version = version;
    }

    /// <summary><c>mqtt://127.0.0.1:PORT</c>.</summary>
    public Uri Url { get; }

    /// <summary>What <c>mosquitto -h</c> says of itself, e.g. "mosquitto version 2.0.11".</summary>
    public string Version { get; }

    public static async Task<MosquittoProcess> StartAsync(string directory, int clients, CancellationToken cancellationToken)
    {
        if (!File.Exists(Binary))
            throw new ServerStartException("Mosquitto is not installed: run tests/scripts/mosquitto.sh (make bench does)");
        Directory.CreateDirectory(directory);
        var port = ServerProcess.FreeLoopbackUrl().Port;
        var config = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
            listener {port} 127.0.0.1
            allow_anonymous true
            persistence false
            max_queued_messages {Math.Max(1000, clients)}
            log_dest stderr
            log_type error
            log_type warning
            """), cancellationToken);
        var version = await VersionAsync(cancellationToken);
        var info = new ProcessStartInfo(Binary) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(config);
        var process = Process.Start(ProcessWeight.AtServerWeight(info)) ?? throw new ServerStartException("could not start " + Binary);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var mosquitto = new MosquittoProcess(process, new Uri($"mqtt://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), version);
        var deadline = Stopwatch.GetTimestamp() + BenchProcesses.Ticks(StartLimit);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited)
            {
                var message = $"Mosquitto exited with {process.ExitCode}: {(await errors).Trim()}";
                await mosquitto.DisposeAsync();
                throw new ServerStartException(message);
            }

            if (await BenchProcesses.AcceptsAsync(IPAddress.Loopback, port, cancellationToken))
                return mosquitto;
            await Task.Delay(100, cancellationToken);
        }

        await mosquitto.DisposeAsync();
        throw new ServerStartException($"Mosquitto did not listen within {StartLimit.TotalSeconds:0} s");
    }

    public long ResidentBytes()
    {
        _process.Refresh();
        return _process.WorkingSet64;
    }

    public TimeSpan ProcessorTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    private static async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        // `mosquitto -h` prints its usage, version first, and exits with 3.
        var info = new ProcessStartInfo(Binary, "-h") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(ProcessWeight.AtServerWeight(info)) ?? throw new ServerStartException("could not start " + Binary);
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "mosquitto";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}

/// <summary>The open-file limit of this process (children inherit it).</summary>
internal static class OpenFileLimit
{
    /// <summary>Throws a one-line reason when the soft limit is below <paramref name="needed"/>.</summary>
    public static void Require(int needed, string what)
    {
        var (soft, hard) = Read();
        if (soft >= needed)
            return;
        throw new ServerStartException(
            $"{what} needs {needed} open files but the limit is {soft} (hard limit {hard}; .NET raises the soft limit to the hard one at start-up): raise it, e.g. `ulimit -Hn {needed}` as root before make bench, or run fewer with --wake-agents");
    }

    /// <summary>"Max open files" of /proc/self/limits; unlimited (or not Linux) reads as int.MaxValue.</summary>
    private static (long Soft, long Hard) Read()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal))
                    continue;
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return (Limit(fields[0]), Limit(fields[1]));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux: nothing to check.
        }

        return (int.MaxValue, int.MaxValue);
    }

    private static long Limit(string text) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : int.MaxValue;
}
