using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeMdm.Agent;
using EdgeMdm.Testing;

namespace EdgeMdm.Bench;

/// <summary>
/// <see cref="ProbeLoad"/> in a process of its own (<c>edgemdm-bench probe</c>), for a scenario whose other clients
/// keep this process's thread pool busy: in the download scenario the 32 clients reading at full speed queue their
/// continuations ahead of the probe's, and a check-in's latency would then be this process's queue, not the
/// server's. The child runs until its standard input closes, then prints every sample; Stopwatch timestamps are the
/// machine's monotonic clock, so they compare with this process's.
/// </summary>
internal sealed class ProbeProcess
{
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(30);
    private readonly Uri _url;
    private readonly string _devicesFile;
    private readonly TimeSpan _period;
    private long _errors;

    /// <param name="directory">Where the devices' credentials are written for the child; the caller removes it.</param>
    public ProbeProcess(Uri url, IReadOnlyList<BenchDevice> devices, TimeSpan period, string directory)
    {
        _url = url;
        _period = period;
        Directory.CreateDirectory(directory);
        _devicesFile = Path.Combine(directory, "probe-devices.tsv");
        File.WriteAllLines(_devicesFile, devices.Select(d => d.Serial + "\t" + d.Secret));
    }

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Runs until <paramref name="stop"/>; returns (completed at, latency) in Stopwatch ticks.</summary>
    public async Task<ProbeLoad.Sample[]> RunAsync(CancellationToken stop)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in (string[])[typeof(ProbeProcess).Assembly.Location, "probe", "--url", BenchProcesses.Text(_url),
                     "--period-ms", ((int)_period.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "--devices", _devicesFile])
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info) ?? throw new ServerStartException("could not start the probe process");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
            // The round is over: the child's turn to stop.
        }

        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(StopLimit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException e)
        {
            process.Kill(entireProcessTree: true);
            throw new ServerStartException($"the probe process did not stop within {StopLimit.TotalSeconds:0} s", e);
        }

        if (process.ExitCode != 0)
            throw new ServerStartException($"the probe process exited with {process.ExitCode}: {(await stderr).Trim()}");
        return Parse(await stdout);
    }

    /// <summary><c>edgemdm-bench probe --url URL --period-ms N --devices FILE</c>: the child's side.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        if (args is not ["--url", var urlText, "--period-ms", var periodText, "--devices", var file]
            || !Uri.TryCreate(urlText, UriKind.Absolute, out var url)
            || !int.TryParse(periodText, NumberStyles.None, CultureInfo.InvariantCulture, out var period) || period < 1
            || !File.Exists(file))
        {
            await Console.Error.WriteLineAsync("edgemdm-bench probe: usage: probe --url URL --period-ms N --devices FILE (serial TAB secret per line)");
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

        using var handler = AgentHttp.CreateHandler(devices.Count);
        using var http = AgentHttp.CreateClient(handler, url, TimeSpan.FromMinutes(5));
        var probe = new ProbeLoad(new DeviceApiClient(http), devices!, TimeSpan.FromMilliseconds(period));
        using var stop = new CancellationTokenSource();
        var running = probe.RunAsync(stop.Token);
        // The parent closes standard input to end the run.
        await Console.In.ReadToEndAsync();
        await stop.CancelAsync();
        var samples = await running;
        var output = new StringBuilder(samples.Length * 24);
        foreach (var sample in samples)
            output.Append(CultureInfo.InvariantCulture, $"{sample.CompletedAt} {sample.LatencyTicks}\n");
        output.Append(CultureInfo.InvariantCulture, $"errors {probe.Errors}\n");
        await Console.Out.WriteAsync(output.ToString());
        return 0;
    }

    private ProbeLoad.Sample[] Parse(string output)
    {
        var samples = new List<ProbeLoad.Sample>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields is ["errors", var errors])
                Interlocked.Add(ref _errors, long.Parse(errors, CultureInfo.InvariantCulture));
            else if (fields is [var completedAt, var latency])
                samples.Add(new ProbeLoad.Sample(long.Parse(completedAt, CultureInfo.InvariantCulture), long.Parse(latency, CultureInfo.InvariantCulture)));
            else
                throw new ServerStartException($"the probe process printed a line that is no sample: {line}");
        }

        return [.. samples];
    }
}
