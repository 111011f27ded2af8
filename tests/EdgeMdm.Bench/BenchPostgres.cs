using Npgsql;

namespace EdgeMdm.Bench;

/// <summary>
/// A PostgreSQL server for a scenario's hub, started by <c>tests/scripts/postgres.sh</c> (which installs the package
/// when it is missing: initdb in a temporary directory, loopback only, trust auth, fsync off) on a free port, at the
/// servers' CPU weight (<see cref="ProcessWeight.AtServerWeight"/>: the database is part of the hub, not of the load),
/// and stopped and removed on dispose, also when the scenario fails half-way.
/// </summary>
internal sealed class BenchPostgres : IAsyncDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan CommandLimit = TimeSpan.FromMinutes(1);

    private readonly string _directory;
    private readonly TextWriter _log;

    private BenchPostgres(string directory, int port, TextWriter log)
    {
        _directory = directory;
        Port = port;
        _log = log;
    }

    public int Port { get; }

    public static async Task<BenchPostgres> StartAsync(TextWriter log, CancellationToken cancellationToken)
    {
        // Short: the server's Unix socket lives in this directory, and socket paths are limited to ~100 bytes.
        var directory = Path.Combine(Path.GetTempPath(), "edgemdm-pg-" + Guid.NewGuid().ToString("N")[..12]);
        var port = ServerProcess.FreeLoopbackUrl().Port;
        var server = new BenchPostgres(directory, port, log);
        try
        {
            await ScriptAsync(StartLimit, cancellationToken, "start", directory, port.ToString(CultureInfo.InvariantCulture));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates the empty database <paramref name="name"/> (lower-case letters, digits, underscores) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        if (name.Length is 0 or > 63 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            throw new ArgumentException($"not a plain database name: '{name}'", nameof(name));
        await ScriptAsync(CommandLimit, cancellationToken, "createdb", Port.ToString(CultureInfo.InvariantCulture), name);
        return $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={name}";
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await ScriptAsync(CommandLimit, CancellationToken.None, "stop", _directory);
        }
        catch (ServerStartException e)
        {
            _log.WriteLine($"edgemdm-bench: {e.Message}");
        }

        BenchProcesses.DeleteDirectory(_directory, _log);
    }

    /// <summary>Runs <c>postgres.sh ARGS</c> at the servers' weight (the server it starts inherits it) within <paramref name="limit"/>.</summary>
    private static async Task ScriptAsync(TimeSpan limit, CancellationToken cancellationToken, params string[] args)
    {
        var info = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(Repository.Root, "tests", "scripts", "postgres.sh"));
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        await BenchProcesses.RunToExitAsync(ProcessWeight.AtServerWeight(info), "postgres.sh " + string.Join(' ', args), limit, cancellationToken);
    }
}
