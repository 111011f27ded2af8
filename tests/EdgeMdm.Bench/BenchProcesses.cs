using System.Net;
using System.Net.Sockets;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace EdgeMdm.Bench;

/// <summary>What the scenarios that run the hub and the appliance as processes share: starting them, the hub's admin token, REST calls, bounded waits, temporary directories.</summary>
internal static class BenchProcesses
{
    /// <summary>Enrolls <paramref name="count"/> devices with serials PREFIX0000...</summary>
    public static async Task<List<BenchDevice>> EnrollAsync(DeviceApiClient api, string token, string prefix, int count, TextWriter log, string scenario, CancellationToken cancellationToken)
    {
        var devices = new List<BenchDevice>(count);
        for (var i = 0; i < count; i++)
        {
            var serial = prefix + i.ToString("D4", CultureInfo.InvariantCulture);
            var enrolled = await api.EnrollAsync(BenchDevice.EnrollRequest(serial, token), cancellationToken);
            devices.Add(new BenchDevice(serial, enrolled.DeviceSecret, new Random(i)));
        }

        log.WriteLine($"  {scenario}: {devices.Count} devices enrolled ({prefix}...)");
        return devices;
    }

    /// <summary>Enrolls <paramref name="count"/> devices with serials PREFIX00000..., <paramref name="concurrency"/> at once, each with its id.</summary>
    public static async Task<List<WakeDevice>> EnrollWakeDevicesAsync(DeviceApiClient api, string token, string prefix, int count, int concurrency, CancellationToken cancellationToken)
    {
        var devices = new WakeDevice[count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (i, cancel) =>
            {
                var serial = prefix + i.ToString("D5", CultureInfo.InvariantCulture);
                var enrolled = await api.EnrollAsync(BenchDevice.EnrollRequest(serial, token), cancel);
                devices[i] = new WakeDevice(enrolled.DeviceId, enrolled.DeviceSecret, new BenchDevice(serial, enrolled.DeviceSecret, new Random(i)));
            });
        return [.. devices];
    }

    /// <param name="pin">For an https <paramref name="url"/>: the served certificate's pin once known (<see cref="ServerProcess.SitePin"/>).</param>
    /// <param name="environment">Variables added to the server's environment (its configuration), if any.</param>
    public static async Task<ServerProcess> StartAsync(
        string name, string dll, IEnumerable<string> args, Uri url, CancellationToken cancellationToken, Func<string?>? pin = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        try
        {
            return await ServerProcess.StartAsync(dll, args, url, environment, cancellationToken, pin);
        }
        catch (ServerStartException e)
        {
            throw new ServerStartException($"the {name} did not start: {e.Message}", e);
        }
    }

    /// <summary><c>edgemdm-cloud admin-token create</c>: the REST API's bearer token.</summary>
    public static async Task<string> AdminTokenAsync(string cloudDll, string hubDir, CancellationToken cancellationToken)
    {
        var token = (await RunCommandAsync(cloudDll, ["admin-token", "create", "--name", "bench", "--database", hubDir], cancellationToken)).Trim();
        return token.Length > 0 ? token : throw new ServerStartException("admin-token create printed no token");
    }

    /// <summary>One of our commands (<c>dotnet DLL ARGS</c>) run to completion within a minute; its standard output, or a one-line error.</summary>
    public static async Task<string> RunCommandAsync(string dll, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var what = $"{Path.GetFileNameWithoutExtension(dll)} {string.Join(' ', args)}";
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return await RunToExitAsync(info, what, TimeSpan.FromSeconds(60), cancellationToken);
    }

    /// <summary>A process (its output redirected) run to completion within <paramref name="limit"/>; its standard output, or a one-line error.</summary>
    public static async Task<string> RunToExitAsync(ProcessStartInfo info, string what, TimeSpan limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        using var process = Process.Start(info) ?? throw new ServerStartException("could not start " + what);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(limit);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await process.WaitForExitAsync(stop.Token);
        }
        catch (OperationCanceledException e)
        {
            process.Kill(entireProcessTree: true);
            if (timeout.IsCancellationRequested)
                throw new ServerStartException($"{what} did not finish within {limit.TotalSeconds:0} s", e);
            throw;
        }

        if (process.ExitCode != 0)
            throw new ServerStartException($"{what} exited with {process.ExitCode}: {(await stderr).Trim()}");
        return await stdout;
    }

    public static async Task<JsonNode> PostAsync(HttpClient rest, string path, JsonObject body, CancellationToken cancellationToken)
    {
        using var response = await rest.PostAsJsonAsync(path, body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new ServerStartException($"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public static async Task WaitAsync(string what, Func<Task<bool>> done, TimeSpan limit, CancellationToken cancellationToken)
    {
        if (!await TryWaitAsync(done, limit, cancellationToken))
            throw new ServerStartException($"timed out after {limit.TotalSeconds:0} s waiting for {what}");
    }

    public static async Task<bool> TryWaitAsync(Func<Task<bool>> done, TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + Ticks(limit);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (await done())
                return true;
            await Task.Delay(100, cancellationToken);
        }

        return await done();
    }

    /// <summary>True when a TCP connection to the address is accepted: the server listens.</summary>
    public static async Task<bool> AcceptsAsync(IPAddress address, int port, CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(address, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static long Ticks(TimeSpan duration) => (long)(duration.TotalSeconds * Stopwatch.Frequency);

    public static string Text(Uri url) => url.GetLeftPart(UriPartial.Authority);

    /// <summary>Runs a scenario in a fresh temporary directory, removed afterwards (its processes have stopped by then).</summary>
    public static async Task<T> InWorkDirectoryAsync<T>(string prefix, TextWriter log, Func<string, Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var work = TempDirectory(prefix);
        try
        {
            return await run(work);
        }
        finally
        {
            DeleteDirectory(work, log);
        }
    }

    /// <summary>Copies a stopped server's data directory, files and subdirectories, to a new one.</summary>
    public static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    public static string TempDirectory(string prefix) => Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));

    public static void DeleteDirectory(string path, TextWriter log)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never created.
        }
        catch (IOException e)
        {
            log.WriteLine($"edgemdm-bench: could not remove {path}: {e.Message}");
        }
    }
}
