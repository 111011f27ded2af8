using System.Threading.Channels;

namespace EdgeMdm.Bench;

/// <summary>
/// <see cref="ProbeLoad"/> in a process of its own (<c>edgemdm-bench probe</c>), for a scenario whose other clients
/// keep this process's thread pool busy: in the download scenario the 32 clients reading at full speed queue their
/// continuations ahead of the probe's, and a check-in's latency would then be this process's queue, not the
/// server's. One child runs for the whole scenario (a child started per window would be compiling its code during
/// the window) and prints each check-in as it completes; <see cref="RunAsync"/> hands out those of one window.
/// Stopwatch timestamps are the machine's monotonic clock, so they compare with this process's.
/// </summary>
internal sealed class ProbeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(30);

    /// <summary>How long a window's last samples may take to come through the pipe before the window is cut anyway.</summary>
    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly Task _reading;
    private readonly Task<string> _stderr;
    private readonly List<ProbeLoad.Sample> _samples = [];
    private readonly Lock _lock = new();
    private long _latestCompletedAt;
    private long _errors;

    private ProbeProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        _reading = ReadAsync();
    }

    public long Errors => Interlocked.Read(ref _errors);

    /// <param name="directory">Where the devices' credentials are written for the child; the caller removes it.</param>
    /// <param name="pin">For an https <paramref name="url"/>: the served certificate's pin, as a device pins it; null for plain HTTP.</param>
    public static ProbeProcess Start(Uri url, string? pin, IReadOnlyList<BenchDevice> devices, TimeSpan period, string directory)
    {
        Directory.CreateDirectory(directory);
        var devicesFile = Path.Combine(directory, "probe-devices.tsv");
        File.WriteAllLines(devicesFile, devices.Select(d => d.Serial + "\t" + d.Secret));
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in (string[])[typeof(ProbeProcess).Assembly.Location, "probe", "--url", BenchProcesses.Text(url),
                     "--period-ms", ((int)period.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "--devices", devicesFile, "--pin", pin ?? "-"])
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return new ProbeProcess(Process.Start(info) ?? throw new ServerStartException("could not start the probe process"));
    }

    /// <summary>
    /// Waits for <paramref name="stop"/>, then returns the check-ins (completed at, latency, in Stopwatch ticks) that
    /// completed from this call until then.
    /// </summary>
    public async Task<ProbeLoad.Sample[]> RunAsync(CancellationToken stop)
    {
        var from = Stopwatch.GetTimestamp();
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
            // The window is over.
        }

        var to = Stopwatch.GetTimestamp();
        // Samples reach this process a little after they complete: the window is whole once one completed after it.
        var deadline = to + BenchProcesses.Ticks(CatchUpLimit);
        while (Interlocked.Read(ref _latestCompletedAt) <= to && Stopwatch.GetTimestamp() < deadline && !_reading.IsCompleted)
            await Task.Delay(10, CancellationToken.None);
        if (_reading.IsCompleted)
        {
            await _reading; // a line that was no sample ends the reading with its own message
            throw new ServerStartException($"the probe process stopped early: {(await _stderr).Trim()}");
        }
        lock (_lock)
            return _samples.Where(s => s.CompletedAt >= from && s.CompletedAt <= to).ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var limit = new CancellationTokenSource(StopLimit);
            await _process.WaitForExitAsync(limit.Token);
            await _reading;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (string.Equals(line, "error", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _errors);
                continue;
            }

            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0
                || !long.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var completedAt)
                || !long.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var latency))
                throw new ServerStartException($"the probe process printed a line that is no sample: {line}");
            lock (_lock)
                _samples.Add(new ProbeLoad.Sample(completedAt, latency));
            if (completedAt > Interlocked.Read(ref _latestCompletedAt))
                Interlocked.Exchange(ref _latestCompletedAt, completedAt);
        }
    }

    /// <summary>
    /// <c>edgemdm-bench probe --url URL --period-ms N --devices FILE --pin PIN|-</c>: the child's side. Prints "COMPLETED-AT
    /// LATENCY" (Stopwatch ticks) for every check-in as it completes, "error" for every failed one, until its standard
    /// input closes.
    /// </summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        if (args is not ["--url", var urlText, "--period-ms", var periodText, "--devices", var file, "--pin", var pinText]
            || !Uri.TryCreate(urlText, UriKind.Absolute, out var url)
            || !int.TryParse(periodText, NumberStyles.None, CultureInfo.InvariantCulture, out var period) || period < 1
            || !File.Exists(file))
        {
            await Console.Error.WriteLineAsync("edgemdm-bench probe: usage: probe --url URL --period-ms N --devices FILE (serial TAB secret per line) --pin PIN|-");
            return 2;
        }

        var devices = (await File.ReadAllLinesAsync(file))
            .Select((line, i) => line.Split('\t') is [var serial, var secret] ? new BenchDevice(serial, secret, new Random(i)) : null)
            .ToList();
        if (devices.Contains(null))
        {
            await Console.Error.WriteLineAsync($"edgemdm-bench probe: {file}: every line must be serial TAB secret");
            return 2;
        }

        using var handler = AgentHttp.CreateHandler(devices.Count, string.Equals(pinText, "-", StringComparison.Ordinal) ? null : pinText);
        using var http = AgentHttp.CreateClient(handler, url, TimeSpan.FromMinutes(5));
        var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        var probe = new ProbeLoad(new DeviceApiClient(http), devices!, TimeSpan.FromMilliseconds(period))
        {
            Completed = sample => lines.Writer.TryWrite(string.Create(CultureInfo.InvariantCulture, $"{sample.CompletedAt} {sample.LatencyTicks}")),
            Failed = () => lines.Writer.TryWrite("error"),
        };
        var printing = PrintAsync(lines.Reader);
        using var stop = new CancellationTokenSource();
        var running = probe.RunAsync(stop.Token);
        // The parent closes standard input to end the run.
        await Console.In.ReadToEndAsync();
        await stop.CancelAsync();
        await running;
        lines.Writer.Complete();
        await printing;
        return 0;
    }

    private static async Task PrintAsync(ChannelReader<string> lines)
    {
        var output = Console.Out;
        while (await lines.WaitToReadAsync())
        {
            while (lines.TryRead(out var line))
                await output.WriteLineAsync(line);
            await output.FlushAsync();
        }
    }
}
