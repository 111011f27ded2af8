using System.Runtime.InteropServices;

namespace EdgeMdm.Edge.Threading;

/// <summary>
/// How the kernel shares the CPUs between the appliance's threads, on Linux (elsewhere every call leaves the thread as
/// it is). Two kinds of thread: those that answer devices (the request threads, the database writer), which are
/// woken, work for a fraction of a millisecond and sleep again, and those that move package bytes, which would take
/// every cycle there is. The first ask for a short slice, the second run at a lower weight with a long one.
/// </summary>
/// <remarks>
/// The slice is the request length of Linux's EEVDF scheduler (6.12 on), set with <c>sched_setattr(2)</c>'s
/// <c>sched_runtime</c> for a normal thread. A woken thread with a shorter slice than the running one gets the
/// earlier deadline and preempts it at once, where with equal slices it may wait out the running thread's (1.4 ms by
/// default on two cores). In the download benchmark the median check-in while 32 devices download fell from
/// 3.5–5.1 ms to 2.2–2.9 ms, with throughput and the wake and check-in benchmarks unchanged (docs/benchmarks.md,
/// "Short slices"). Neither a slice nor a weaker nice value needs a privilege; a kernel older than 6.12 takes the
/// call and ignores the slice.
/// </remarks>
internal static class ThreadScheduling
{
    /// <summary>What a thread that answers devices asks for: the kernel's shortest (0.1 ms).</summary>
    internal const ulong ResponsiveSliceNanoseconds = 100_000;

    /// <summary>What a thread that moves bytes asks for: it is preempted by the others, not by its peers.</summary>
    internal const ulong BulkSliceNanoseconds = 3_000_000;

    private const int WeakestNiceness = 19;

    /// <summary>
    /// The calling thread, and every thread started from it from now on (a thread inherits its creator's slice), asks
    /// for <see cref="ResponsiveSliceNanoseconds"/>. <c>serve</c> calls it before it builds the host, so the thread pool,
    /// Kestrel's threads and the database writer, all started later from that thread or its descendants, inherit it.
    /// </summary>
    public static void RespondQuickly() => SetSlice(ResponsiveSliceNanoseconds);

    /// <summary>
    /// Sets the calling thread's nice value <paramref name="steps"/> above the process's (at most 19), and its slice to
    /// <see cref="BulkSliceNanoseconds"/>: each nice step is about a fifth less CPU weight against a thread at the
    /// process's priority, so the kernel still shares the CPU while check-ins get it first. Relative to the process
    /// (its main thread), not to the thread that started this one: a thread inherits its creator's nice value, and a
    /// thread-pool thread the runtime starts from one of these threads would otherwise pass the lowering on twice. An
    /// appliance an operator runs at nice 5 keeps the gap.
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
            return;
        }
        catch (DllNotFoundException)
        {
            return;
        }

        SetSlice(BulkSliceNanoseconds);
    }

    /// <summary>The kernel's id of the calling thread (its directory under /proc/self/task), or null off Linux.</summary>
    public static int? KernelThreadId() => OperatingSystem.IsLinux() ? NativeMethods.GetThreadId() : null;

    /// <summary>Leaves the policy and nice value as they are: <c>sched_setattr</c> sets all three at once.</summary>
    private static void SetSlice(ulong nanoseconds)
    {
        if (!OperatingSystem.IsLinux() || SchedAttr.Calls is not { } calls)
            return;
        try
        {
            var attr = default(SchedAttr);
            if (NativeMethods.Syscall(calls.Get, CallingThread, ref attr, SchedAttr.Version0Size, 0) != 0)
                return;
            // A normal thread only: a real-time or deadline policy reads sched_runtime as something else.
            if (attr.Policy is not (NativeMethods.SchedOther or NativeMethods.SchedBatch))
                return;
            attr.Size = SchedAttr.Version0Size;
            attr.Flags = 0;
            attr.Runtime = nanoseconds;
            // Failure leaves the slice as it was.
            _ = NativeMethods.Syscall(calls.Set, CallingThread, ref attr, 0, 0);
        }
        catch (EntryPointNotFoundException)
        {
        }
        catch (DllNotFoundException)
        {
        }
    }

    /// <summary>The calling thread, for <c>sched_getattr</c> and <c>sched_setattr</c>.</summary>
    private const long CallingThread = 0;

    /// <summary><c>struct sched_attr</c> as of its first version (48 bytes), which every kernel since 3.14 takes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SchedAttr
    {
        public uint Size;
        public uint Policy;
        public ulong Flags;
        public int Nice;
        public uint Priority;
        public ulong Runtime;
        public ulong Deadline;
        public ulong Period;

        public static readonly uint Version0Size = (uint)Marshal.SizeOf<SchedAttr>();

        /// <summary>The calls' numbers: the generic table's on arm64 (the appliance), the x86-64 table's on a PC.</summary>
        public static readonly (long Set, long Get)? Calls = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => (314, 315),
            Architecture.Arm64 => (274, 275),
            _ => null,
        };
    }

    private static class NativeMethods
    {
        public const int PrioProcess = 0;
        public const uint SchedOther = 0;
        public const uint SchedBatch = 3;

        [DllImport("libc", EntryPoint = "getpriority", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int GetPriority(int which, int who);

        [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int SetPriority(int which, int who, int priority);

        [DllImport("libc", EntryPoint = "gettid")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int GetThreadId();

        /// <summary>
        /// <c>syscall(2)</c> for <c>sched_setattr</c> / <c>sched_getattr</c>, which Debian 12's glibc has no wrapper
        /// for. Every argument is an integer or a pointer, so the variadic call passes them as a fixed one would.
        /// </summary>
        [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern long Syscall(long number, long thread, ref SchedAttr attr, long sizeOrFlags, long flags);
    }
}
