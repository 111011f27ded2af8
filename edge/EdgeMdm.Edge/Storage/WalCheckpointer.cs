using SQLite;

namespace EdgeMdm.Edge.Storage;

/// <summary>
/// Copies the write-ahead log back into the database file on a thread and connection of its own. Left to
/// SQLite, the commit that crosses 1000 WAL pages does that copy (and its fsync) itself, on the writer's
/// thread, and every check-in queued behind it waits: the appliance's slowest check-ins were those. A
/// PASSIVE checkpoint runs beside the writer and never blocks it; it copies what no reader still needs and
/// the next pass takes the rest.
/// </summary>
public sealed class WalCheckpointer : IDisposable
{
    /// <summary>Often enough that the WAL stays a few MiB at a shift-change rate of check-ins.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly SQLiteConnection _connection;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private long _passes;

    public WalCheckpointer(string dataDirectory)
    {
        _connection = EdgeDatabase.Open(dataDirectory);
        _thread = new Thread(Run) { IsBackground = true, Name = "edgemdm-wal-checkpoint" };
        _thread.Start();
    }

    /// <summary>Checkpoint passes run so far, for tests and metrics.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>The writer's connection leaves checkpoints to this class.</summary>
    public static void TakeOverFrom(SQLiteConnection writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.ExecuteScalar<long>("PRAGMA wal_autocheckpoint=0");
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _connection.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.Wait(Interval))
        {
            try
            {
                _connection.ExecuteScalar<long>("PRAGMA wal_checkpoint(PASSIVE)");
                Interlocked.Increment(ref _passes);
            }
            catch (SQLiteException)
            {
                // Busy (an operator CLI restoring or vacuuming): the next pass copies what this one could not.
            }
        }
    }
}
