using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace EdgeMdm.Testing;

/// <summary>
/// A throwaway PostgreSQL, started by <c>tests/scripts/postgres.sh</c> (initdb + pg_ctl in a temp directory, loopback
/// only, trust auth) on a free port, and stopped and removed on dispose. When it cannot start, the test that needed it
/// fails under <c>CI=true</c> (a CI run must prove the PostgreSQL path) and is skipped, saying why, elsewhere
/// (<c>SkipOrFail</c>, in ThrowawayPostgres.Skip.cs, which only the xUnit projects link; the drills link this file alone).
/// </summary>
internal sealed partial class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string _directory;
    private int _databases;

    private ThrowawayPostgres(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Starts a server; when it cannot, null and why.</summary>
    public static async Task<(ThrowawayPostgres? Server, string? Unavailable)> TryStartAsync()
    {
        // Short: the server's Unix socket lives in this directory, and socket paths are limited to ~100 bytes.
        var directory = Path.Combine(Path.GetTempPath(), "edgemdm-pg-" + Guid.NewGuid().ToString("N")[..12]);
        var server = new ThrowawayPostgres(directory, FreePort());
        var (exitCode, output) = await ScriptAsync(TimeSpan.FromMinutes(3), "start", directory, server.Port.ToString(CultureInfo.InvariantCulture));
        if (exitCode == 0)
            return (server, null);

        await server.DisposeAsync();
        return (null, $"tests/scripts/postgres.sh start failed (exit {exitCode}): {output.Trim()}");
    }

    /// <summary>Creates an empty database and returns its Npgsql connection string (what the hub's <c>--database</c> takes).</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"hub_{Interlocked.Increment(ref _databases).ToString(CultureInfo.InvariantCulture)}_{Guid.NewGuid():N}"[..30];
        await CreateAsync(name);
        return ConnectionString(name);
    }

    /// <summary>The Npgsql connection string of database <paramref name="name"/> on this server.</summary>
    public string ConnectionString(string name) =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={Identifier(name)}";

    /// <summary>
    /// An operator's backup of database <paramref name="name"/>: <c>pg_dump --format=custom</c> into <paramref name="file"/>,
    /// as the README's "Backing up the hub" says, while the hub serves.
    /// </summary>
    public Task DumpAsync(string name, string file) => RunAsync("dump", Port.ToString(CultureInfo.InvariantCulture), Identifier(name), file);

    /// <summary>
    /// The operator's restore of <paramref name="file"/> over database <paramref name="name"/> with the hub stopped:
    /// <c>pg_restore --clean --if-exists --no-owner</c>, as the README says.
    /// </summary>
    public Task RestoreAsync(string name, string file)
    {
        NpgsqlConnection.ClearAllPools();
        return RunAsync("restore", Port.ToString(CultureInfo.InvariantCulture), Identifier(name), file);
    }

    /// <summary>
    /// Replaces database <paramref name="target"/> (a name) with a copy of <paramref name="source"/>, as a restore from a
    /// backup would: nobody may be connected to either.
    /// </summary>
    public async Task CopyDatabaseAsync(string source, string target)
    {
        NpgsqlConnection.ClearAllPools();
        await CreateAsync(target, source);
    }

    /// <summary>
    /// Creates database <paramref name="name"/> (after dropping it, as a copy of <paramref name="template"/> when given)
    /// with the server's own <c>createdb</c>/<c>dropdb</c>, which quote names themselves: no statement is built here.
    /// </summary>
    private async Task CreateAsync(string name, string? template = null)
    {
        string[] args = template is null
            ? ["createdb", Port.ToString(CultureInfo.InvariantCulture), Identifier(name)]
            : ["createdb", Port.ToString(CultureInfo.InvariantCulture), Identifier(name), Identifier(template)];
        await RunAsync(args);
    }

    /// <summary>Runs <c>postgres.sh ARGS</c> (a minute at most); one that fails throws with its output.</summary>
    private static async Task RunAsync(params string[] args)
    {
        var (exitCode, output) = await ScriptAsync(TimeSpan.FromMinutes(1), args);
        if (exitCode != 0)
            throw new InvalidOperationException($"tests/scripts/postgres.sh {string.Join(' ', args)} failed (exit {exitCode}): {output.Trim()}");
    }

    /// <summary>A database name the tests make: lower-case letters, digits, underscores (checked, not trusted).</summary>
    private static string Identifier(string name) =>
        name.Length is > 0 and <= 63 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')
            ? name
            : throw new ArgumentException($"not a plain database name: '{name}'", nameof(name));

    /// <summary>Stops the server (whether or not it fully started) and removes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ScriptAsync(TimeSpan.FromMinutes(1), "stop", _directory);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Never created, or a leftover temp directory: not worth failing a test for.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(int ExitCode, string Output)> ScriptAsync(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repository.Root, "tests", "scripts", "postgres.sh"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        try
        {
            // Under make bench PostgreSQL is a server: it leaves the load generator's least weight (pg_ctl's children follow).
            using var process = Process.Start(ProcessWeight.AtServerWeight(start)) ?? throw new InvalidOperationException("bash did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"postgres.sh {string.Join(' ', args)} did not finish within {timeout}");
            }

            return (process.ExitCode, await stdout + await stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
