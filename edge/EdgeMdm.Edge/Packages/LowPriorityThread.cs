using System.Runtime.InteropServices;

namespace EdgeMdm.Edge.Packages;

/// <summary>
/// Lowers the calling thread below normal priority, for threads that may take spare cycles but must never make a
/// check-in wait. On Linux priority is per thread; elsewhere, or where the kernel refuses, the thread keeps normal
/// priority (lowering one's own thread needs no privilege, so that is rare).
/// </summary>
internal static class LowPriorityThread
{
    /// <summary>A nice value the kernel gives a small share when normal threads want the CPU.</summary>
    private const int Niceness = 10;

    /// <summary>The weakest nice value, for when <see cref="IdleCurrent"/> is refused.</summary>
    private const int WeakestNiceness = 19;

    /// <summary>Nice 10: a small share of the CPU even while normal threads are busy.</summary>
    public static void LowerCurrent() => Try(() => SetNiceness(Niceness));

    /// <summary>
    /// SCHED_IDLE: the thread runs only on a CPU that nothing else wants, however long that takes. For work whose
    /// every cycle competes with check-ins head-on, where even nice 19's share shows in their latency.
    /// </summary>
    public static void IdleCurrent() => Try(() =>
    {
        var unused = new NativeMethods.SchedulingParameters();
        if (NativeMethods.SetScheduler(0, NativeMethods.SchedulingIdle, ref unused) != 0)
            SetNiceness(WeakestNiceness);
    });

    /// <summary>The kernel's id of the calling thread (its directory under /proc/self/task), or null off Linux.</summary>
    public static int? KernelThreadId() => OperatingSystem.IsLinux() ? NativeMethods.GetThreadId() : null;

    // PRIO_PROCESS with a thread id names that one thread on Linux; failure leaves normal priority.
    private static void SetNiceness(int niceness) =>
        _ = NativeMethods.SetPriority(NativeMethods.PrioProcess, NativeMethods.GetThreadId(), niceness);

    private static void Try(Action lower)
    {
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            lower();
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
        public const int SchedulingIdle = 5;

        [StructLayout(LayoutKind.Sequential)]
        public struct SchedulingParameters
        {
            public int Priority;
        }

        [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int SetPriority(int which, int who, int priority);

        // pid 0 is the calling thread.
        [DllImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int SetScheduler(int pid, int policy, ref SchedulingParameters parameters);

        [DllImport("libc", EntryPoint = "gettid")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int GetThreadId();
    }
}
