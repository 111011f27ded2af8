using System.Collections.Concurrent;

namespace EdgeMdm.Edge.Packages;

/// <summary>
/// Threads of their own for copying package bytes to downloading devices: thirty-two devices pulling a 200 MB package
/// would otherwise queue their chunks on the thread pool in front of check-ins. They run at the process's priority:
/// lowering it (and EEVDF slices) was measured and did not pay for itself (docs/benchmarks.md, "Package downloads").
/// </summary>
internal sealed class CopierThreads : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread[] _threads;

    public CopierThreads(string name, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = Enumerable.Range(0, threads).Select(i => new Thread(Run) { IsBackground = true, Name = $"{name} {i}" }).ToArray();
        foreach (var thread in _threads)
            thread.Start();
    }

    public override int MaximumConcurrencyLevel => _threads.Length;

    /// <summary>Runs <paramref name="work"/> here, its awaits continuing here too.</summary>
    public Task Run(Func<Task> work, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    protected override void QueueTask(Task task) => _queue.Add(task);

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        Array.IndexOf(_threads, Thread.CurrentThread) >= 0 && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var thread in _threads)
            thread.Join();
        _queue.Dispose();
    }

    private void Run()
    {
        foreach (var task in _queue.GetConsumingEnumerable())
            TryExecuteTask(task);
    }
}
