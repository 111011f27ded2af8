using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace EdgeMdm.Edge.Packages;

/// <summary>
/// Threads of their own, below normal priority, for work that may take every spare cycle but must never make a
/// check-in wait: copying package bytes to downloading devices. Thirty-two devices pulling a 200 MB package
/// would otherwise queue their chunks on the thread pool in front of check-ins. On Linux each thread lowers its
/// own nice value (per-thread there); elsewhere, or where that is refused, the threads still keep the copies
/// off the thread pool's queue.
/// </summary>
internal sealed class BackgroundPriorityScheduler : TaskScheduler, IDisposable
{
    /// <summary>A nice value the kernel gives a small share when normal threads want the CPU.</summary>
    private const int Niceness = 10;

    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread[] _threads;

    public BackgroundPriorityScheduler(string name, int threads)
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
        LowerOwnPriority();
        foreach (var task in _queue.GetConsumingEnumerable())
            TryExecuteTask(task);
    }

    private static void LowerOwnPriority()
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            // PRIO_PROCESS with a thread id names that one thread on Linux; failure leaves normal priority.
            _ = NativeMethods.SetPriority(NativeMethods.PrioProcess, NativeMethods.GetThreadId(), Niceness);
        }
        catch (EntryPointNotFoundException)
        {
        }
        catch (DllNotFoundException)
        {
        }
    }

    private static class NativeMethods
    {
        public const int PrioProcess = 0;

        [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
        public static extern int SetPriority(int which, int who, int priority);

        [DllImport("libc", EntryPoint = "gettid")]
        public static extern int GetThreadId();
    }
}
