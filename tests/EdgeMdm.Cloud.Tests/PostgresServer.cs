using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// A throwaway PostgreSQL for the whole test run, started by <c>tests/scripts/postgres.sh</c> on a free
/// loopback port in a temp directory, and stopped at the end. When it cannot start, <see cref="Unavailable"/>
/// says why: the PostgreSQL tests then fail under CI=true and are skipped elsewhere.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "edgemdm-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private int _databases;

    public int Port { get; private set; }

    /// <summary>Null when the server runs; otherwise what went wrong.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>How long starting took (initdb included), for the record.</summary>
    public TimeSpan StartTime { get; private set; }

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";

    public async Task InitializeAsync()
    {
        Port = FreePort();
        var stopwatch = Stopwatch.StartNew();
        var (exitCode, output) = await ScriptAsync("start", _directory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        StartTime = stopwatch.Elapsed;
        if (exitCode != 0)
            Unavailable = $"tests/scripts/postgres.sh start failed (exit {exitCode}): {output.Trim()}";
    }

    public async Task DisposeAsync()
    {
        if (Unavailable is null)
            await ScriptAsync("stop", _directory);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing a test run for.
        }
    }

    /// <summary>
    /// <see cref="CreateDatabaseAsync"/> when the server runs; without it, fails under CI=true (a CI run must prove
    /// both backends) and skips the test, saying why, elsewhere.
    /// </summary>
    public Task<string> CreateDatabaseOrSkipAsync()
    {
        if (Unavailable is { } reason)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException("PostgreSQL is required when CI=true but could not be started: " + reason);
            Skip.If(true, "PostgreSQL unavailable (run tests/scripts/setup.sh as root to install it): " + reason);
        }

        return CreateDatabaseAsync();
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"hub_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..30];
        await using var connection = new Npgsql.NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
#pragma warning disable CA2100 // the name is ours: letters, digits and underscores
        await using var command = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection);
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync();
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name}";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(int ExitCode, string Output)> ScriptAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "tests", "scripts", "postgres.sh"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await stdout + await stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeMdm.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("cannot find the repository root (EdgeMdm.sln) above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresServerGroup : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
