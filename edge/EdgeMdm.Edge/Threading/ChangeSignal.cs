namespace EdgeMdm.Edge.Threading;

/// <summary>
/// A counter that wakes whoever waits on it. A waiter remembers the <see cref="Version"/> it acted on and waits
/// for a later one, so a pulse that comes between its look and its wait is never lost, and any number of
/// waiters (the fetcher, the cache's maintenance) can follow the same signal.
/// </summary>
public sealed class ChangeSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;

    public long Version
    {
        get
        {
            lock (_gate)
                return _version;
        }
    }

    public void Pulse()
    {
        TaskCompletionSource woken;
        lock (_gate)
        {
            _version++;
            woken = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        woken.TrySetResult();
    }

    /// <summary>True once the version is past <paramref name="seenVersion"/>; false when <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> WaitAsync(long seenVersion, TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        Task next;
        lock (_gate)
        {
            if (_version != seenVersion)
                return true;
            next = _next.Task;
        }

        // A timeout is this method's everyday answer (the wake dispatcher asks 20 times a second): it is read off the
        // task, never thrown, so it costs no exception and shows nowhere in the runtime's exception count.
        var waited = next.WaitAsync(timeout, clock, cancellationToken);
        await waited.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (waited.IsCompletedSuccessfully)
            return true;
        cancellationToken.ThrowIfCancellationRequested();
        return false;
    }
}
