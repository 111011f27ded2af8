using System.Collections.Concurrent;
using SQLite;

namespace EdgeMdm.Edge.Storage;

/// <summary>
/// Read-only work on its own connections: WAL lets readers run beside the writer, each seeing the last
/// committed state. Connections are reused; at most <see cref="MaxIdle"/> are kept between calls.
/// </summary>
public sealed class ReadPool(string dataDirectory) : IDisposable
{
    private const int MaxIdle = 8;
    private readonly ConcurrentBag<SQLiteConnection> _idle = [];

    public T Read<T>(Func<SQLiteConnection, T> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var connection = _idle.TryTake(out var pooled) ? pooled : EdgeDatabase.Open(dataDirectory);
        try
        {
            return query(connection);
        }
        finally
        {
            if (_idle.Count < MaxIdle)
            {
                _idle.Add(connection);
            }
            else
            {
                PreparedStatements.Release(connection);
                connection.Dispose();
            }
        }
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var connection))
        {
            PreparedStatements.Release(connection);
            connection.Dispose();
        }
    }
}
