using System.Net.Sockets;
using EdgeMdm.Cloud.Storage.Postgres;
using EdgeMdm.Cloud.Storage.Sqlite;
using EdgeMdm.ServiceDefaults;
using Npgsql;
using SQLite;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// Which backend failures the hub's databases hand on as "retry later" or "disk full" and which stay as thrown (bugs):
/// the failures no test can make a real server produce on demand (a PostgreSQL restarting, out of connections or out of
/// disk, a SQLite lock held past 30 s). The pool running out is proved end to end (<see cref="StoreFaultTests"/>).
/// </summary>
public sealed class StoreFaultClassificationTests
{
    public static TheoryData<string, string?> PostgresStates => new()
    {
        { PostgresErrorCodes.TooManyConnections, "the database server has no connection left" },
        { PostgresErrorCodes.AdminShutdown, "the database server is restarting" },
        { PostgresErrorCodes.CannotConnectNow, "the database server is restarting" },
        { PostgresErrorCodes.QueryCanceled, "a statement ran past the database's statement timeout" },
        { PostgresErrorCodes.ConnectionFailure, "the connection to the database failed" },
        { PostgresErrorCodes.UniqueViolation, null },
        { PostgresErrorCodes.DeadlockDetected, null },
        { PostgresErrorCodes.UndefinedTable, null },
    };

    [Theory]
    [MemberData(nameof(PostgresStates))]
    public void A_postgres_error_is_unavailable_only_when_the_server_cannot_serve_for_a_while(string sqlState, string? reason)
    {
        // Arrange
        var error = new PostgresException("the server's words", "FATAL", "FATAL", sqlState);

        // Act
        var fault = PostgresFaults.Translate(error);

        // Assert
        Assert.Equal(reason, (fault as StoreUnavailableException)?.Message);
        Assert.Equal(reason is null ? null : error, fault?.InnerException);
    }

    [Fact]
    public void Npgsql_s_own_failures_are_unavailable_naming_the_pool_when_it_ran_out()
    {
        // Act
        var pool = PostgresFaults.Translate(new NpgsqlException(
            "The connection pool has been exhausted, either raise 'Max Pool Size' (currently 100) or 'Timeout' (currently 15 seconds) in your connection string.",
            new TimeoutException()));
        var refused = PostgresFaults.Translate(new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)));

        // Assert
        var exhausted = Assert.IsType<StoreUnavailableException>(pool);
        Assert.Equal("connection pool exhausted", exhausted.Message);
        Assert.Contains("raise 'Max Pool Size' (currently 100)", exhausted.Detail, StringComparison.Ordinal);
        Assert.Equal("the connection to the database failed", Assert.IsType<StoreUnavailableException>(refused).Message);
    }

    [Fact]
    public void A_full_disk_is_storage_full_on_both_backends()
    {
        // Act
        var postgres = PostgresFaults.Translate(new PostgresException("could not extend file \"base/16384/16385\": No space left on device", "ERROR", "ERROR", PostgresErrorCodes.DiskFull));
        var sqlite = SqliteFaults.Translate(SQLiteException.New(SQLite3.Result.Full, "database or disk is full"));

        // Assert
        Assert.Contains("No space left on device", Assert.IsType<StorageFullException>(postgres).Message, StringComparison.Ordinal);
        Assert.Contains("database or disk is full", Assert.IsType<StorageFullException>(sqlite).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SQLite3.Result.Busy, true)]
    [InlineData(SQLite3.Result.Locked, true)]
    [InlineData((SQLite3.Result)517, true)] // SQLITE_BUSY_SNAPSHOT, an extended code of BUSY
    [InlineData(SQLite3.Result.Constraint, false)]
    [InlineData(SQLite3.Result.Corrupt, false)]
    public void A_sqlite_lock_held_past_the_busy_timeout_is_unavailable_and_nothing_else_is(SQLite3.Result result, bool unavailable)
    {
        // Act
        var fault = SqliteFaults.Translate(SQLiteException.New(result, "the engine's words"));

        // Assert
        Assert.Equal(unavailable, fault is StoreUnavailableException);
        Assert.Equal(unavailable, fault is not null);
    }
}
