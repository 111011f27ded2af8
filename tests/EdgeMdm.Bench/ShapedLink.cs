namespace EdgeMdm.Bench;

/// <summary>
/// A site's link in miniature (tests/scripts/shaped-link.sh): a network namespace for the devices joined to this
/// machine's by a veth pair whose appliance-to-devices direction tbf shapes to <see cref="Megabits"/>. Disposing removes
/// both; a run killed before that leaves them to the next run's sweep (the names carry this process's id).
/// </summary>
internal sealed class ShapedLink : IAsyncDisposable
{
    private static readonly string Script = Path.Combine(Repository.Root, "tests", "scripts", "shaped-link.sh");
    private readonly TextWriter _log;

    /// <summary>The owner's process id, which names what the script made.</summary>
    private readonly string _owner = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    private ShapedLink(string @namespace, string hostAddress, string deviceAddress, int megabits, TextWriter log)
    {
        Namespace = @namespace;
        HostAddress = hostAddress;
        DeviceAddress = deviceAddress;
        Megabits = megabits;
        _log = log;
    }

    /// <summary>The devices' network namespace (run a client there with <c>ip netns exec</c>).</summary>
    public string Namespace { get; }

    /// <summary>The appliance's end of the link, in this machine's namespace.</summary>
    public string HostAddress { get; }

    public string DeviceAddress { get; }

    public int Megabits { get; }

    /// <summary>The link's rate in bytes a second, as tbf counts them (every frame's bytes, headers included).</summary>
    public double BytesPerSecond => Megabits * 1_000_000 / 8.0;

    public static async Task<ShapedLink> UpAsync(int megabits, TextWriter log, CancellationToken cancellationToken)
    {
        var output = await ScriptAsync(cancellationToken, "up", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), megabits.ToString(CultureInfo.InvariantCulture));
        if (output.Trim().Split(' ') is not [var name, var host, var device])
            throw new ServerStartException($"shaped-link.sh up printed no link: {output.Trim()}");
        log.WriteLine($"  linerate: link {name}: appliance {host}, devices {device}, tbf {megabits} Mbit/s");
        return new ShapedLink(name, host, device, megabits, log);
    }

    /// <summary>tc's counters of the shaping qdisc (sent, dropped, overlimits), one line.</summary>
    public async Task<string> StatsAsync(CancellationToken cancellationToken) =>
        string.Join(' ', (await ScriptAsync(cancellationToken, "stats", _owner))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ScriptAsync(CancellationToken.None, "down", _owner);
        }
        catch (ServerStartException e)
        {
            await _log.WriteLineAsync($"edgemdm-bench: could not remove the link {Namespace}: {e.Message}");
        }
    }

    private static async Task<string> ScriptAsync(CancellationToken cancellationToken, params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Script);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new ServerStartException("could not start bash " + Script);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3)); // an apt-get install of iproute2 at most
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
            throw new ServerStartException($"shaped-link.sh {args[0]}: {(await stderr).Trim()}");
        return await stdout;
    }
}
