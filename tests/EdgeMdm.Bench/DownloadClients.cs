namespace EdgeMdm.Bench;

/// <summary>
/// The line-rate scenario's download clients in a process of their own (<c>edgemdm-bench download-clients</c>), started
/// inside the devices' network namespace with <c>ip netns exec</c> so that every byte crosses the shaped link. Each
/// device downloads the whole package once, all at once, over TLS with its own credential; the child prints one line
/// per device, "BYTES STARTED FINISHED" (Stopwatch ticks of the machine's monotonic clock, comparable with the
/// parent's), or "error MESSAGE".
/// </summary>
internal static class DownloadClients
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    /// <summary>The parent's side: runs the clients in <paramref name="link"/>'s namespace and reads their lines.</summary>
    public static async Task<IReadOnlyList<ClientDownload>> RunAsync(ShapedLink link, Uri url, string pin, string secretsFile, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["netns", "exec", link.Namespace, "dotnet", typeof(DownloadClients).Assembly.Location, "download-clients", "--url", url.ToString(), "--pin", pin, "--secrets", secretsFile])
            info.ArgumentList.Add(arg);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info) ?? throw new ServerStartException("could not start ip netns exec");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException e)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new ServerStartException($"the download clients did not finish within {Limit.TotalMinutes:0} min", e);
        }

        var downloads = new List<ClientDownload>();
        foreach (var line in (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields is [var bytes, var started, var finished]
                && long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out var b)
                && long.TryParse(started, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                && long.TryParse(finished, NumberStyles.None, CultureInfo.InvariantCulture, out var f))
                downloads.Add(new ClientDownload(b, s, f, null));
            else
                downloads.Add(new ClientDownload(0, 0, 0, line));
        }

        if (downloads.Count == 0)
            throw new ServerStartException($"the download clients exited with {process.ExitCode} and printed nothing: {(await stderr).Trim()}");
        return downloads;
    }

    /// <summary><c>edgemdm-bench download-clients --url URL --pin PIN --secrets FILE</c>: the child's side.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        if (args is not ["--url", var urlText, "--pin", var pin, "--secrets", var file] || !Uri.TryCreate(urlText, UriKind.Absolute, out var url) || !File.Exists(file))
        {
            await Console.Error.WriteLineAsync("edgemdm-bench download-clients: usage: download-clients --url URL --pin PIN --secrets FILE (one device secret per line)");
            return 2;
        }

        var secrets = await File.ReadAllLinesAsync(file);
        using var handler = DownloadRun.DownloadHandler(secrets.Length, pin);
        using var http = new HttpClient(handler) { Timeout = Limit };
        var lines = await Task.WhenAll(secrets.Select(async secret =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var bytes = await DownloadRun.DownloadAsync(http, url, secret, CancellationToken.None);
                return string.Create(CultureInfo.InvariantCulture, $"{bytes} {started} {Stopwatch.GetTimestamp()}");
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or ServerStartException)
            {
                return $"error {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}";
            }
        }));
        foreach (var line in lines)
            await Console.Out.WriteLineAsync(line);
        return lines.Any(l => l.StartsWith("error", StringComparison.Ordinal)) ? 1 : 0;
    }
}

/// <summary>One device's download through the link; <paramref name="Error"/> is set when it failed.</summary>
internal sealed record ClientDownload(long Bytes, long Started, long Finished, string? Error);
