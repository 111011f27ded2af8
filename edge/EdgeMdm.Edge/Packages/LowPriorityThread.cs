using System.Runtime.InteropServices;

namespace EdgeMdm.Edge.Packages;

/// <summary>
/// Lowers the calling thread below the priority the process runs at, for threads that move bytes and must yield to
/// check-ins. On Linux priority is per thread; elsewhere, or where the kernel refuses, the thread keeps its priority
/// (lowering one's own thread needs no privilege, so that is rare).
/// </summary>
internal static class LowPriorityThread
{
    private const int WeakestNiceness = 19;

    /// <summary>
    /// Sets the calling thread's nice value <paramref name="steps"/> above the process's (at most 19): each step is
    /// about a fifth less CPU weight against a thread at the process's priority, so the kernel still shares the CPU
    /// while check-ins get it first. Relative to the process (its main thread), not to the thread that started this
    /// one: a thread inherits its creator's nice value, and a thread-pool thread the runtime starts from one of these
    /// threads would otherwise pass the lowering on twice. An appliance an operator runs at nice 5 keeps the gap.
    /// </summary>
    public static void LowerCurrent(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            // PRIO_PROCESS with a thread id names that one thread on Linux; the process id names its main thread.
            // -1 is also a nice value; only errno tells a failure apart, and a failed read counts as 0.
            var process = NativeMethods.GetPriority(NativeMethods.PrioProcess, Environment.ProcessId);
            if (process == -1 && Marshal.GetLastPInvokeError() != 0)
                process = 0;
            // Failure leaves the priority as it was.
            _ = NativeMethods.SetPriority(NativeMethods.PrioProcess, NativeMethods.GetThreadId(), Math.Min(WeakestNiceness, process + steps));
        }
        catch (EntryPointNotFoundException)
        {
        }
        catch (DllNotFoundException)
        {
        }
    }

    /// <summary>The kernel's id of the calling thread (its directory under /proc/self/task), or null off Linux.</summary>
    public static int? KernelThreadId() => OperatingSystem.IsLinux() ? NativeMethods.GetThreadId() : null;

    private static class NativeMethods
    {
        public const int PrioProcess = 0;

        [DllImport("libc", EntryPoint = "getpriority", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int GetPriority(int which, int who);

        [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int SetPriority(int which, int who, int priority);

        [DllImport("libc", EntryPoint = "gettid")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int GetThreadId();
    }
}
