using System.Data;
using System.Text;
using Npgsql;

namespace EdgeMdm.Cloud.Storage.Postgres;

/// <summary>
/// The scale-out backend: several hub replicas on one PostgreSQL. Write transactions run at READ COMMITTED;
/// what must not race takes row locks (<c>SELECT ... FOR UPDATE</c>, or an UPDATE of the site's row), so each
/// statement after the lock sees what the previous holder committed. A failure that means the database cannot serve
/// right now (or its disk is full) leaves here as the host's storage fault (<see cref="PostgresFaults"/>), so that every
/// caller answers it as "retry later" rather than as a bug.
/// </summary>
internal sealed class PostgresHubDatabase : IHubDatabase
{
    private readonly NpgsqlDataSource _dataSource;

    private PostgresHubDatabase(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    public string ForUpdate => " FOR UPDATE";

    public string Backend => "Postgres";

    /// <summary>Replicas starting together wait for each other here, so each migration runs once.</summary>
    public string? MigrationLock => "SELECT pg_advisory_xact_lock(7365310001)";

    public static Task<PostgresHubDatabase> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new PostgresHubDatabase(NpgsqlDataSource.Create(connectionString)));
    }

    public async Task<HubSession> BeginAsync(bool write, CancellationToken cancellationToken)
    {
        var connection = await Translated(_dataSource.OpenConnectionAsync(cancellationToken).AsTask());
        try
        {
            // Reads see one snapshot across their statements (a digest, a listing); writes run at READ
            // COMMITTED so that a statement after a lock wait sees what the previous holder committed.
            var transaction = await Translated(connection.BeginTransactionAsync(write ? IsolationLevel.ReadCommitted : IsolationLevel.RepeatableRead, cancellationToken).AsTask());
            return new Session(connection, transaction, cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<T> Translated<T>(Task<T> operation)
    {
        try
        {
            return await operation;
        }
        catch (NpgsqlException exception)
        {
            if (PostgresFaults.Translate(exception) is { } fault)
                throw fault;
            throw;
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private sealed class Session(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken) : HubSession
    {
        public override async Task<int> ExecuteAsync(string sql, params object?[] args)
        {
            await using var command = Command(sql, args);
            return await Translated(command.ExecuteNonQueryAsync(cancellationToken));
        }

        public override Task<List<Row>> QueryAsync(string sql, params object?[] args) => Translated(ReadAsync(sql, args));

        public override Task CommitAsync() => Translated(CommittedAsync());

        private async Task<bool> CommittedAsync()
        {
            await transaction.CommitAsync(cancellationToken);
            return true;
        }

        private async Task<List<Row>> ReadAsync(string sql, object?[] args)
        {
            await using var command = Command(sql, args);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<Row>();
            while (await reader.ReadAsync(cancellationToken))
            {
                var values = new object?[reader.FieldCount];
                for (var i = 0; i < values.Length; i++)
                    values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                rows.Add(new Row(values));
            }

            return rows;
        }

        public override async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync(); // rolls back unless committed
            await connection.DisposeAsync();
        }

        /// <summary>Numbers the shared SQL's <c>?</c> placeholders as PostgreSQL's <c>$1, $2...</c> (no literal in our SQL holds a '?').</summary>
        private NpgsqlCommand Command(string sql, object?[] args)
        {
            var text = new StringBuilder(sql.Length + 8);
            var n = 0;
            foreach (var c in sql)
            {
                if (c == '?')
                    text.Append('$').Append(++n);
                else
                    text.Append(c);
            }

#pragma warning disable CA2100 // The SQL is the store's own constant text; values travel only as parameters.
            var command = new NpgsqlCommand(text.ToString(), connection, transaction);
#pragma warning restore CA2100
            foreach (var arg in args)
            {
                command.Parameters.Add(new NpgsqlParameter
                {
                    // Npgsql has no unsigned types; every integer we store is a bigint.
                    Value = arg switch
                    {
                        null => DBNull.Value,
                        ulong u => checked((long)u),
                        uint u => (long)u,
                        int i => (long)i,
                        _ => arg,
                    },
                });
            }

            return command;
        }
    }
}
