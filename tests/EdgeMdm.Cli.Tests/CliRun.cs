namespace EdgeMdm.Cli.Tests;

/// <summary>What one in-process run of <c>edgemdm</c> printed and returned.</summary>
public sealed record CliResult(int Exit, string Out, string Err)
{
    public IReadOnlyList<string> ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public IReadOnlyList<string> OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>
/// Runs the CLI's entry point with captured writers and a private environment (never the real one), with a
/// credential file in a temporary directory of its own.
/// </summary>
public sealed class CliRun : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "edgemdm-cli-" + Guid.NewGuid().ToString("N"));

    public CliRun() => Directory.CreateDirectory(_directory);

    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The clock the CLI sees (reports measure staleness against it).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>What the CLI reads as its standard input (for <c>--password-stdin</c>); empty when not set.</summary>
    public string Stdin { get; set; } = "";

    public string CredentialsPath => Path.Combine(_directory, "config", "edgemdm", "credentials.json");

    /// <summary>Runs with <c>EDGEMDM_CREDENTIALS</c> pointing at this run's credential file.</summary>
    public async Task<CliResult> RunAsync(params string[] args)
    {
        var environment = new Dictionary<string, string>(Environment, StringComparer.Ordinal)
        {
            ["HOME"] = _directory,
        };
        environment.TryAdd("EDGEMDM_CREDENTIALS", CredentialsPath);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var stdin = new StringReader(Stdin);
        var exit = await AdminCli.RunAsync(args, stdout, stderr, name => environment.GetValueOrDefault(name), Time, stdin);
        return new CliResult(exit, stdout.ToString().Replace("\r\n", "\n", StringComparison.Ordinal), stderr.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    /// <summary>Signs in to <paramref name="hub"/> with the right token.</summary>
    public async Task LoginAsync(FakeHub hub)
    {
        var result = await RunAsync("login", "--server", hub.Url.ToString(), "--token", FakeHub.ApiToken);
        Assert.True(result.Exit == 0, result.Err);
    }

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }
}
