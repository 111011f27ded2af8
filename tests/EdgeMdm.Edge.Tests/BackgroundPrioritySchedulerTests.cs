namespace EdgeMdm.Edge.Tests;

public sealed class BackgroundPrioritySchedulerTests
{
    [Fact]
    public async Task Work_and_its_continuations_run_on_the_scheduler_s_threads_below_normal_priority()
    {
        // Started from a thread already lowered (as a thread-pool thread the runtime started from a sending thread
        // would be): the scheduler's threads still sit ten steps below the process, not below their creator.
        BackgroundPriorityScheduler? started = null;
        var creator = new Thread(() =>
        {
            ThreadScheduling.LowerCurrent(6);
            started = new BackgroundPriorityScheduler("test copier", 2);
        });
        creator.Start();
        creator.Join();
        using var scheduler = started!;
        var seen = new List<(string? Name, int? Nice, long? Slice)>();

        await scheduler.Run(async () =>
        {
            seen.Add(CurrentThread());
            await Task.Delay(10);
            seen.Add(CurrentThread());
        }, CancellationToken.None);

        Assert.Equal(2, seen.Count);
        Assert.All(seen, s => Assert.StartsWith("test copier ", s.Name, StringComparison.Ordinal));
        if (OperatingSystem.IsLinux())
            Assert.All(seen, s => Assert.Equal(Math.Min(19, new KernelThread("/proc/self").Nice + 10), s.Nice));
        if (KernelThread.KeepsRequestedSlices)
            Assert.All(seen, s => Assert.Equal((long)ThreadScheduling.BulkSliceNanoseconds, s.Slice));
    }

    [Fact]
    public async Task A_failure_in_the_work_reaches_the_caller()
    {
        using var scheduler = new BackgroundPriorityScheduler("test copier", 1);

        var failure = await Assert.ThrowsAsync<IOException>(() => scheduler.Run(() => throw new IOException("disk gone"), CancellationToken.None));

        Assert.Equal("disk gone", failure.Message);
    }

    private static (string? Name, int? Nice, long? Slice) CurrentThread() =>
        (Thread.CurrentThread.Name, OperatingSystem.IsLinux() ? KernelThread.Current.Nice : null, KernelThread.Current.Slice);
}
