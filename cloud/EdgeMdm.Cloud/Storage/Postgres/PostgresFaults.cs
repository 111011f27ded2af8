using EdgeMdm.ServiceDefaults;
using Npgsql;

namespace EdgeMdm.Cloud.Storage.Postgres;

/// <summary>
/// Which of PostgreSQL's and Npgsql's failures mean "the database cannot serve right now, retry later"
/// (<see cref="StoreUnavailableException"/>) or "its disk is full" (<see cref="StorageFullException"/>); everything else
/// (a constraint, a syntax error, a deadlock between the hub's own transactions) is a bug and stays as thrown.
/// </summary>
/// <remarks>
/// Npgsql's <see cref="NpgsqlException.IsTransient"/> for its own failures (no pooled connection within the pool's
/// <c>Timeout</c>, a connection that could not be opened or broke, a reply that did not come in time); SQLSTATEs by name
/// for the server's, not <see cref="PostgresException.IsTransient"/>, which counts deadlocks and serialization failures
/// too. A statement cancelled by the caller's token is Npgsql's <see cref="OperationCanceledException"/>, never seen
/// here: a 57014 here is the server's <c>statement_timeout</c> (or an operator's <c>pg_cancel_backend</c>).
/// </remarks>
internal static class PostgresFaults
{
    /// <summary>The fault <paramref name="exception"/> is (it the inner exception), or null for one to let through as it is.</summary>
    public static Exception? Translate(NpgsqlException exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.DiskFull } => new StorageFullException("the PostgreSQL server's disk is full: " + exception.Message, exception),
        PostgresException postgres => ServerReason(postgres.SqlState) is { } reason ? new StoreUnavailableException(reason, exception) : null,
        { IsTransient: true } => new StoreUnavailableException(ClientReason(exception), exception),
        _ => null,
    };

    private static string? ServerReason(string sqlState) => sqlState switch
    {
        PostgresErrorCodes.TooManyConnections => "the database server has no connection left",
        PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow => "the database server is restarting",
        PostgresErrorCodes.InsufficientResources or PostgresErrorCodes.OutOfMemory or PostgresErrorCodes.ConfigurationLimitExceeded => "the database server is out of resources",
        PostgresErrorCodes.QueryCanceled => "a statement ran past the database's statement timeout",
        PostgresErrorCodes.LockNotAvailable => "a lock wait ran past the database's lock timeout",
        PostgresErrorCodes.IdleSessionTimeout => "the database server closed an idle connection",
        // Class 08, connection exception: a connection lost or never made, as the server saw it.
        _ when sqlState.StartsWith("08", StringComparison.Ordinal) => "the connection to the database failed",
        _ => null,
    };

    private static string ClientReason(NpgsqlException exception) => exception.InnerException switch
    {
        // Npgsql: "The connection pool has been exhausted, either raise 'Max Pool Size' (currently N) or 'Timeout' ...".
        TimeoutException when exception.Message.Contains("connection pool has been exhausted", StringComparison.Ordinal) => "connection pool exhausted",
        TimeoutException => "the database did not answer in time",
        _ => "the connection to the database failed",
    };
}
