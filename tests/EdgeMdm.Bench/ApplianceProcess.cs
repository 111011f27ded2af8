namespace EdgeMdm.Bench;

/// <summary>
/// The published appliance run as its own executable (no <c>dotnet</c> host in front, as systemd starts it), timed from
/// <see cref="Process.Start()"/> to the first 200 of <c>GET /readyz</c>, polled every 10 ms.
/// </summary>
internal sealed class ApplianceProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    private readonly Process _process;
    private readonly ProcessOutput _output;

    private ApplianceProcess(Process process)
    {
        _process = process;
        _output = new ProcessOutput(process, keep: 100);
    }

    /// <summary>Process start to the first <c>/readyz</c> 200.</summary>
    public double ReadySeconds { get; private set; }

    /// <summary>
    /// CPU time (user + system, all threads) the process had used when <c>/readyz</c> first answered 200: what the start
    /// costs, which a machine shared with other work stretches in wall time but hardly changes.
    /// </summary>
    public double ReadyCpuSeconds { get; private set; }

    public static async Task<ApplianceProcess> StartAsync(
        string executable, IEnumerable<string> args, Uri url, IReadOnlyDictionary<string, string> environment, TimeSpan limit, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        info.Environment["EDGEMDM_Edge__Mdns__Enabled"] = "false";
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(2) };
        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(ProcessWeight.AtServerWeight(info)) ?? throw new ServerStartException("could not start " + executable);
        var appliance = new ApplianceProcess(process);
        try
        {
            appliance.ReadySeconds = await appliance.WaitReadyAsync(http, started, limit, cancellationToken);
            return appliance;
        }
        catch
        {
            await appliance.DisposeAsync();
            throw;
        }
    }

    /// <summary>VmRSS and VmHWM of /proc/PID/status.</summary>
    public ProcessMemory Memory()
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = Kilobytes(line) * 1024;
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                peak = Kilobytes(line) * 1024;
        }

        return new ProcessMemory(rss, peak);
    }

    /// <summary>Bytes the process caused to be written to storage so far (<c>write_bytes</c> of /proc/PID/io).</summary>
    public long WrittenBytes() => ServerProcess.DiskWriteBytes(_process.Id);

    public async ValueTask DisposeAsync() => await ServerProcess.KillAndDisposeAsync(_process, StopTimeout);

    private async Task<double> WaitReadyAsync(HttpClient http, long started, TimeSpan limit, CancellationToken cancellationToken)
    {
        while (Stopwatch.GetElapsedTime(started) < limit)
        {
            if (_process.HasExited)
                throw new ServerStartException($"the appliance exited with code {_process.ExitCode}: {_output.LastLine()}");
            try
            {
                using var response = await http.GetAsync(new Uri("/readyz", UriKind.Relative), cancellationToken);
                if (response.StatusCode == System.Net.HttpStatusCode.OK)
                {
                    ReadyCpuSeconds = CpuSeconds();
                    return Stopwatch.GetElapsedTime(started).TotalSeconds;
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

            await Task.Delay(10, cancellationToken);
        }

        throw new ServerStartException($"no 200 from {http.BaseAddress}readyz within {limit.TotalSeconds:0} s: {_output.LastLine()}");
    }

    /// <summary>utime + stime of /proc/PID/stat (fields 14 and 15, in USER_HZ = 100 a second on Linux).</summary>
    private double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id.ToString(CultureInfo.InvariantCulture)}/stat");
        // The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
}
