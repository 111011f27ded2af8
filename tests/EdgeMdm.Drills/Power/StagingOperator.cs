namespace EdgeMdm.Drills.Power;

/// <summary>
/// An operator making staging batches with <c>edgemdm-edge staging batch create</c> on the appliance's data directory,
/// one after another. A run that exited 0 printed its sheet's path: that batch was promised, with its sheet.
/// </summary>
internal sealed class StagingOperator(string edgeDll, string dataDirectory, IReadOnlyDictionary<string, string> environment) : IAsyncDisposable
{
    public const int DevicesPerBatch = 2;
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(90);

    private readonly List<string> _promised = [];
    private Process? _running;
    private Task<CommandResult>? _finished;

    /// <summary>Batches whose command exited 0, in order.</summary>
    public IReadOnlyList<string> Promised => _promised;

    /// <summary>Runs that a cut killed before they exited.</summary>
    public int Cut { get; private set; }

    /// <summary>Starts a batch unless one is being made.</summary>
    public void StartNext()
    {
        if (_running is not null)
            return;
        _running = Built.Start(edgeDll, [
            "staging", "batch", "create", "--group", "pickers", "--count", DevicesPerBatch.ToString(CultureInfo.InvariantCulture),
            "--expires", "8h", "--url", "https://edge-01.local:8443", "--data-dir", dataDirectory,
        ], environment);
        _finished = Built.FinishAsync(_running, RunLimit);
    }

    /// <summary>
    /// Waits for the batch being made to finish (<paramref name="kill"/>: kills it first, as a power cut does), and
    /// records it when it exited 0. A run that was not killed and failed is returned as a broken promise (the
    /// operator's command failed though nothing stopped it); null otherwise.
    /// </summary>
    public async Task<string?> SettleAsync(bool kill)
    {
        if (_running is null || _finished is null)
            return null;
        if (kill && !_running.HasExited)
            _running.Kill(entireProcessTree: true);
        var (exitCode, stdout, stderr) = await _finished;
        _running.Dispose();
        _running = null;
        _finished = null;
        if (exitCode == 0)
        {
            _promised.Add(Path.GetFileName(Path.GetDirectoryName(stdout.Trim()))!);
            return null;
        }

        if (kill)
        {
            Cut++;
            return null;
        }

        return $"staging batch create exited {exitCode} though no cut stopped it: {stderr.Trim()}";
    }

    public async ValueTask DisposeAsync() => _ = await SettleAsync(kill: true);
}
