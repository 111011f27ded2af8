namespace EdgeMdm.Edge.Tests;

public sealed class ThreadSchedulingTests
{
    [SkippableFact]
    public void A_thread_that_responds_quickly_and_every_thread_it_starts_afterwards_run_on_the_shortest_slice()
    {
        Skip.IfNot(KernelThread.KeepsRequestedSlices, "this kernel keeps no slice a thread asks for (EEVDF custom slices: Linux 6.12 on)");
        long? before = null, own = null, started = null;

        var thread = new Thread(() =>
        {
            before = KernelThread.Current.Slice;
            ThreadScheduling.RespondQuickly();
            own = KernelThread.Current.Slice;
            var child = new Thread(() => started = KernelThread.Current.Slice);
            child.Start();
            child.Join();
        });
        thread.Start();
        thread.Join();

        Assert.NotEqual((long)ThreadScheduling.ResponsiveSliceNanoseconds, before);
        Assert.Equal((long)ThreadScheduling.ResponsiveSliceNanoseconds, own);
        Assert.Equal((long)ThreadScheduling.ResponsiveSliceNanoseconds, started);
    }

    [SkippableFact]
    public void A_responsive_thread_lowered_for_bulk_work_takes_the_long_slice_and_keeps_its_lower_priority()
    {
        Skip.IfNot(KernelThread.KeepsRequestedSlices, "this kernel keeps no slice a thread asks for (EEVDF custom slices: Linux 6.12 on)");
        (int Nice, long? Slice) seen = default;

        var thread = new Thread(() =>
        {
            ThreadScheduling.RespondQuickly();
            ThreadScheduling.LowerCurrent(4);
            seen = (KernelThread.Current.Nice, KernelThread.Current.Slice);
        });
        thread.Start();
        thread.Join();

        Assert.Equal(Math.Min(19, new KernelThread("/proc/self").Nice + 4), seen.Nice);
        Assert.Equal((long)ThreadScheduling.BulkSliceNanoseconds, seen.Slice);
    }
}
