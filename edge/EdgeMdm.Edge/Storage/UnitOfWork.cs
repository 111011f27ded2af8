using SQLite;

namespace EdgeMdm.Edge.Storage;

/// <summary>
/// One caller's share of a group-commit transaction (<see cref="GroupCommitWriter"/>): its own savepoint on the
/// writer's connection. Features that must change several tables atomically (a check-in: the device, its
/// commands, the outbox) are handed the same unit; a feature never opens a transaction of its own.
/// </summary>
public sealed class UnitOfWork
{
    private List<Action>? _onCommitted;

    internal UnitOfWork(SQLiteConnection connection) => Db = connection;

    /// <summary>The writer's connection, inside this unit's savepoint. Only for the duration of the unit.</summary>
    public SQLiteConnection Db { get; }

    /// <summary>
    /// Runs <paramref name="action"/> once the transaction holding this unit has committed, on the writer's thread,
    /// before the caller's task completes; never when the unit or the transaction rolls back. For in-memory
    /// effects that must follow the durable state and never run ahead of it (a cache of what was written, a
    /// pulse that wakes a reader of those rows): it must be short and must not throw.
    /// </summary>
    public void OnCommitted(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        (_onCommitted ??= []).Add(action);
    }

    internal void RunCommitted()
    {
        if (_onCommitted is null)
            return;
        foreach (var action in _onCommitted)
            action();
    }
}
