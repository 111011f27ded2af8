using System.Threading.Channels;
using EdgeMdm.ServiceDefaults;
using SQLite;
using SQLitePCL;

namespace EdgeMdm.Edge.Storage;

/// <summary>
/// The one writer of the appliance's database. Callers hand it a unit of work; it runs whatever has queued
/// up (up to <see cref="MaxBatch"/> units) in one immediate transaction, each unit inside its own savepoint,
/// commits once with <c>synchronous=FULL</c>, and only then completes the callers' tasks. One fsync pays
/// for a whole shift-change burst of check-ins, and an acknowledged write is always on disk.
/// A unit that throws rolls back to its savepoint alone; the others in the batch still commit. A unit alone in its batch
/// (every write when callers come one at a time) needs no savepoint: the transaction's own rollback undoes it.
/// </summary>
public sealed class GroupCommitWriter : IAsyncDisposable
{
    public const int MaxBatch = 256;

    private readonly SQLiteConnection _connection;
    private readonly Channel<IWorkItem> _queue = Channel.CreateUnbounded<IWorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _batches;
    private long _units;
    private long _storageFullSince;

    public GroupCommitWriter(SQLiteConnection connection)
    {
        _connection = connection;
        // A thread of its own: the loop blocks in SQLite and fsync, which would starve a thread-pool thread.
        _thread = new Thread(Run) { IsBackground = true, Name = "edgemdm-db-writer" };
        _thread.Start();
    }

    /// <summary>Batches committed and units of work in them, for metrics.</summary>
    public (long Batches, long Units) Counters => (Interlocked.Read(ref _batches), Interlocked.Read(ref _units));

    /// <summary>Whether the writer's thread still takes work (false once disposed).</summary>
    public bool IsRunning => _thread.IsAlive && !_stopped.Task.IsCompleted;

    /// <summary>When a write last failed because the disk is full (UTC ticks, 0 for never); cleared by the next commit.</summary>
    public long StorageFullSince => Interlocked.Read(ref _storageFullSince);

    /// <summary>Runs <paramref name="work"/> in the next group transaction; completes after COMMIT.</summary>
    public Task<T> WriteAsync<T>(Func<UnitOfWork, T> work)
    {
        var item = new WorkItem<T>(work);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(item), this);
        return item.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopped.Task;
        PreparedStatements.Release(_connection);
        _connection.Dispose();
    }

    private void Run()
    {
        var batch = new List<IWorkItem>(MaxBatch);
        try
        {
            while (WaitForWork())
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
                    batch.Add(item);
                CommitBatch(batch);
                Publish(batch);
                batch.Clear();
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>Blocks this thread until work is queued; false once the queue is completed and empty.</summary>
    private bool WaitForWork()
    {
        var wait = _queue.Reader.WaitToReadAsync();
        return wait.IsCompletedSuccessfully ? wait.Result : wait.AsTask().GetAwaiter().GetResult();
    }

    private void CommitBatch(List<IWorkItem> batch)
    {
        try
        {
            _connection.Prepared("BEGIN IMMEDIATE").Execute();
        }
        catch (Exception exception)
        {
            FailAll(batch, Translate(exception));
            return;
        }

        Exception? lost;
        try
        {
            lost = batch.Count == 1 ? RunAlone(batch[0]) : RunEachInSavepoint(batch);
        }
        catch (Exception exception)
        {
            // The writer's own SAVEPOINT, RELEASE or ROLLBACK TO failed: the transaction is in no state to commit.
            lost = Translate(exception);
        }

        if (lost is not null)
        {
            TryRollback();
            FailAll(batch, lost);
            return;
        }

        try
        {
            _connection.Prepared("COMMIT").Execute();
        }
        catch (Exception exception)
        {
            TryRollback();
            FailAll(batch, Translate(exception));
            return;
        }

        Interlocked.Exchange(ref _storageFullSince, 0);
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _units, batch.Count);
        foreach (var item in batch)
            item.Committed();
    }

    /// <summary>
    /// Completes the callers' tasks, after COMMIT and after every unit's <see cref="UnitOfWork.OnCommitted"/> callbacks.
    /// Their continuations run on the thread pool (<see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>), never
    /// on this thread.
    /// </summary>
    private static void Publish(List<IWorkItem> batch)
    {
        foreach (var item in batch)
            item.Publish();
    }

    /// <summary>
    /// A unit with no other in its transaction needs no savepoint: if it throws, rolling the whole transaction back
    /// undoes exactly its work. Returns its failure, or null when it ran.
    /// </summary>
    private Exception? RunAlone(IWorkItem item)
    {
        try
        {
            item.Run(new UnitOfWork(_connection));
            return null;
        }
        catch (Exception exception)
        {
            return Translate(exception);
        }
    }

    /// <summary>
    /// Each unit in its own savepoint, so that one that throws rolls back alone and the others still commit. Returns
    /// a failure only when SQLite itself ended the whole transaction under a unit (it does on SQLITE_FULL or an I/O
    /// error in a statement that keeps no statement journal): then every unit of the batch is lost, not just that one.
    /// </summary>
    private Exception? RunEachInSavepoint(List<IWorkItem> batch)
    {
        foreach (var item in batch)
        {
            _connection.Prepared("SAVEPOINT unit").Execute();
            try
            {
                item.Run(new UnitOfWork(_connection));
                _connection.Prepared("RELEASE unit").Execute();
            }
            catch (Exception exception)
            {
                var failure = Translate(exception);
                if (raw.sqlite3_get_autocommit(_connection.Handle) != 0)
                    return failure;
                _connection.Prepared("ROLLBACK TO unit").Execute();
                _connection.Prepared("RELEASE unit").Execute();
                item.Fail(failure);
            }
        }

        return null;
    }

    private static void FailAll(List<IWorkItem> batch, Exception failure)
    {
        foreach (var item in batch)
            item.Fail(failure);
    }

    /// <summary>
    /// A full disk is the site's trouble, not a bug: callers get a <see cref="StorageFullException"/> (a device 503 with
    /// Retry-After, an operator one line), and readiness says so until a commit succeeds again. Anything else is as thrown.
    /// </summary>
    private Exception Translate(Exception exception)
    {
        if (exception is not SQLiteException { Result: SQLite3.Result.Full })
            return exception;
        Interlocked.CompareExchange(ref _storageFullSince, DateTime.UtcNow.Ticks, 0);
        return new StorageFullException("the appliance's disk is full: " + exception.Message, exception);
    }

    private void TryRollback()
    {
        try
        {
            _connection.Execute("ROLLBACK");
        }
        catch (SQLiteException)
        {
            // No transaction left to roll back: SQLite already ended it when COMMIT failed.
        }
    }

    private interface IWorkItem
    {
        void Run(UnitOfWork unit);

        /// <summary>Records why the unit did not commit; the first reason given is the one its caller gets.</summary>
        void Fail(Exception exception);

        /// <summary>After COMMIT, on the writer's thread: the unit's <see cref="UnitOfWork.OnCommitted"/> callbacks.</summary>
        void Committed();

        /// <summary>Completes the caller's task with the unit's result or failure.</summary>
        void Publish();
    }

    /// <summary>A unit of work and its caller's task in one object (one allocation fewer per write).</summary>
    private sealed class WorkItem<T>(Func<UnitOfWork, T> work) : TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously), IWorkItem
    {
        private T? _result;
        private Exception? _failure;
        private UnitOfWork? _unit;

        public void Run(UnitOfWork unit)
        {
            _unit = unit;
            _result = work(unit);
        }

        public void Fail(Exception exception) => _failure ??= exception;

        public void Committed()
        {
            if (_failure is not null)
                return;
            try
            {
                _unit?.RunCommitted();
            }
            catch (Exception exception)
            {
                // The write is durable; the caller still learns that what should have followed it did not.
                _failure = exception;
            }
        }

        public void Publish()
        {
            if (_failure is { } failure)
                TrySetException(failure);
            else
                TrySetResult(_result!);
        }
    }
}
