namespace EdgeMdm.Browser;

/// <summary>
/// <c>edgemdm-edge simulate-cradle</c> as a process of its own: a networked cradle on the appliance's broker. Its output
/// (each round of telemetry, each LED command it receives) is kept for <see cref="WaitForLineAsync"/>; disposing stops it.
/// </summary>
internal sealed class CradleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private CradleProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, line) => Keep(line.Data);
        process.ErrorDataReceived += (_, line) => Keep(line.Data is null ? null : "stderr: " + line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static CradleProcess Start(IEnumerable<string> args) => new(Processes.Start(Processes.EdgeDll, args));

    /// <summary>Waits (30 s at most) until the cradle printed a line containing <paramref name="text"/>.</summary>
    public async Task WaitForLineAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            lock (_lines)
            {
                if (_lines.Exists(l => l.Contains(text, StringComparison.Ordinal)))
                    return;
            }

            Assert.True(DateTime.UtcNow < deadline && !_process.HasExited, $"the cradle printed no '{text}' ({(_process.HasExited ? "it exited" : "30 s")}):\n{Output()}");
            await Task.Delay(100);
        }
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

    private string Output()
    {
        lock (_lines)
            return string.Join('\n', _lines);
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_lines)
            _lines.Add(line);
    }
}
