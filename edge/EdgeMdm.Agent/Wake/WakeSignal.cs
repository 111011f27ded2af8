namespace EdgeMdm.Agent;

/// <summary>
/// "Check in now", set by a wake and taken by the check-in loop. A wake that arrives while nobody waits (during a
/// check-in) is kept, so the loop checks in again rather than sleeping through work queued after its last answer;
/// several wakes before the loop looks count as one.
/// </summary>
public sealed class WakeSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource? _waiter;
    private bool _pending;

    public void Set()
    {
        TaskCompletionSource? woken;
        lock (_gate)
        {
            woken = _waiter;
            _waiter = null;
            if (woken is null)
                _pending = true;
        }

        woken?.TrySetResult();
    }

    /// <summary>True when woken (or a wake was pending), false when <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_pending)
            {
                _pending = false;
                return true;
            }

            waiter = _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        try
        {
            await waiter.Task.WaitAsync(timeout, clock, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                if (ReferenceEquals(_waiter, waiter))
                    _waiter = null;
            }

            return false;
        }
    }
}
