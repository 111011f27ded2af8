using EdgeMdm.Contracts.Sync;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Sync;

/// <summary>
/// Applies the hub's changes of some kinds (<see cref="Kinds"/>) to what its feature owns, inside the feed's writer
/// unit: idempotently by key, because a batch cut by the uplink arrives again. A feature that owns hub records
/// (blueprints, tokens, commands, packages, site users) registers one; the feed knows none of their tables.
/// </summary>
public interface IFeedHandler
{
    IReadOnlyCollection<HubChange.ChangeOneofCase> Kinds { get; }

    /// <returns>Whether the change altered anything (a replay of a change already applied returns false).</returns>
    bool Apply(UnitOfWork unit, HubChange change);
}

/// <summary>Told, once a feed batch has committed, which kinds of change altered something; on the sync worker's thread.</summary>
public interface IFeedObserver
{
    void Applied(IReadOnlySet<HubChange.ChangeOneofCase> changed);
}

/// <summary>The downstream side of sync (ADR 0001): the hub's feed, applied with its position.</summary>
public interface IFeedStore
{
    /// <summary>Position of the last feed change applied; 0 before the first.</summary>
    ulong FeedPosition { get; }

    /// <summary>
    /// Applies every change of the batch and its through_position in one transaction, idempotently by key;
    /// a batch at or behind <see cref="FeedPosition"/> changes nothing.
    /// </summary>
    Task ApplyDownstreamAsync(DownstreamBatch batch);
}

/// <summary>Hands each change of a batch to the feature that owns its kind, and keeps the feed position (<c>sync_state.feed_position</c>).</summary>
internal sealed class FeedApplier : IFeedStore
{
    private readonly EdgeStorage _storage;
    private readonly Dictionary<HubChange.ChangeOneofCase, IFeedHandler> _handlers = [];
    private readonly IReadOnlyList<IFeedObserver> _observers;
    private readonly IAuditLog _audit;
    private readonly TimeProvider _time;

    public FeedApplier(EdgeStorage storage, IEnumerable<IFeedHandler> handlers, IEnumerable<IFeedObserver> observers, IAuditLog audit, TimeProvider time)
    {
        _storage = storage;
        _audit = audit;
        _time = time;
        foreach (var handler in handlers)
        {
            foreach (var kind in handler.Kinds)
            {
                if (!_handlers.TryAdd(kind, handler))
                    throw new InvalidOperationException($"two feed handlers for {kind}: {_handlers[kind].GetType().Name} and {handler.GetType().Name}");
            }
        }

        _observers = observers.ToList();
    }

    public ulong FeedPosition => (ulong)_storage.Read(db => db.ExecuteScalar<long>("SELECT feed_position FROM sync_state WHERE id = 1"));

    /// <exception cref="FeedRefusedException">
    /// A change did not verify (<see cref="HubKeys.Admit"/>): the changes before it are applied and committed, the
    /// position is left just before it, so the next pull starts at it again.
    /// </exception>
    public async Task ApplyDownstreamAsync(DownstreamBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var (changed, refused) = await _storage.WriteAsync(unit => Apply(unit, batch));
        if (changed.Count > 0)
        {
            foreach (var observer in _observers)
                observer.Applied(changed);
        }

        if (refused is not null)
            throw refused;
    }

    /// <summary>
    /// One writer unit: every change of the batch and the new feed position. A batch at or behind the stored
    /// position, and any change at or behind it, is skipped. A kind this appliance does not know (a newer hub) is
    /// skipped too once it verified, and the position still moves on. A change that does not verify ends the batch there.
    /// </summary>
    private (HashSet<HubChange.ChangeOneofCase> Changed, FeedRefusedException? Refused) Apply(UnitOfWork unit, DownstreamBatch batch)
    {
        var changed = new HashSet<HubChange.ChangeOneofCase>();
        var stored = unit.Db.ExecuteScalar<long>("SELECT feed_position FROM sync_state WHERE id = 1");
        var through = Outbox.ToSequence(batch.ThroughPosition);
        if (through <= stored)
            return (changed, null);

        FeedRefusedException? refused = null;
        foreach (var change in batch.Changes)
        {
            if (Outbox.ToSequence(change.Position) <= stored)
                continue;
            if (HubKeys.Admit(unit, change) is { } reason)
            {
                refused = new FeedRefusedException(change.Position, change.ChangeCase.ToString(), reason);
                through = Outbox.ToSequence(change.Position) - 1;
                break;
            }

            if (_handlers.TryGetValue(change.ChangeCase, out var handler) && ApplyOne(unit, handler, change))
            {
                changed.Add(change.ChangeCase);
                _audit.RecordOnce(unit, HubChangeAudit.EntryFor(change), _time.GetUtcNow());
            }
        }

        unit.Db.Execute("UPDATE sync_state SET feed_position = ? WHERE id = 1", Math.Max(stored, through));
        return (changed, refused);
    }

    /// <summary>
    /// A change whose content its handler cannot read (JSON, a step without its kind, a key, a number out of range) refuses the whole batch as
    /// <see cref="InvalidDataException"/> naming the change: the unit rolls back, the position stays, and the sync round
    /// fails with that reason instead of an exception that says nothing of the feed.
    /// </summary>
    private static bool ApplyOne(UnitOfWork unit, IFeedHandler handler, HubChange change)
    {
        try
        {
            return handler.Apply(unit, change);
        }
        catch (Exception exception) when (exception is System.Text.Json.JsonException or NotSupportedException or FormatException or InvalidDataException or ArgumentException or OverflowException
            or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidDataException($"feed change {change.Position} ({change.ChangeCase}) cannot be applied: {exception.Message}", exception);
        }
    }
}
