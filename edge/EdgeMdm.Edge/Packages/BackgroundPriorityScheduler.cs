using System.Collections.Concurrent;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Threading;

namespace EdgeMdm.Edge.Packages;

/// <summary>
/// Threads of their own, below normal priority, for work that may take every spare cycle but must never make a
/// check-in wait: copying package bytes to downloading devices. Thirty-two devices pulling a 200 MB package
/// would otherwise queue their chunks on the thread pool in front of check-ins. Each thread lowers its own
/// priority (<see cref="ThreadScheduling"/>); where that is refused, the threads still keep the copies off the
/// thread pool's queue. With <c>Edge:ThreadScheduling</c> off they keep the process's priority and slice.
/// </summary>
internal sealed class BackgroundPriorityScheduler : TaskScheduler, IDisposable
{
    /// <summary>Nice 10 below the process: copying costs this process the CPU of every byte, twice.</summary>
    private const int NiceSteps = 10;

    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread[] _threads;
    private readonly bool _lowered;

    /// <param name="lowered">Whether the threads lower their priority (<see cref="EdgeOptions.ThreadScheduling"/>).</param>
    public BackgroundPriorityScheduler(string name, int threads, bool lowered = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _lowered = lowered;
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
        if (_lowered)
            ThreadScheduling.LowerCurrent(NiceSteps);
        foreach (var task in _queue.GetConsumingEnumerable())
            TryExecuteTask(task);
    }
}
