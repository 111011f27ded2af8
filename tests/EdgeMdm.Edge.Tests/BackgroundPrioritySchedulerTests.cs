using System.Globalization;
using EdgeMdm.Edge.Packages;

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
            LowPriorityThread.LowerCurrent(EdgeMdm.Edge.Api.KernelFileSender.NiceSteps);
            started = new BackgroundPriorityScheduler("test copier", 2);
        });
        creator.Start();
        creator.Join();
        using var scheduler = started!;
        var seen = new List<(string? Name, int? Nice)>();

        await scheduler.Run(async () =>
        {
            seen.Add((Thread.CurrentThread.Name, NiceOfCurrentThread()));
            await Task.Delay(10);
            seen.Add((Thread.CurrentThread.Name, NiceOfCurrentThread()));
        }, CancellationToken.None);

        Assert.Equal(2, seen.Count);
        Assert.All(seen, s => Assert.StartsWith("test copier ", s.Name, StringComparison.Ordinal));
        if (OperatingSystem.IsLinux())
            Assert.All(seen, s => Assert.Equal(Math.Min(19, NiceOfProcess() + 10), s.Nice));
    }

    [Fact]
    public async Task A_failure_in_the_work_reaches_the_caller()
    {
        using var scheduler = new BackgroundPriorityScheduler("test copier", 1);

        var failure = await Assert.ThrowsAsync<IOException>(() => scheduler.Run(() => throw new IOException("disk gone"), CancellationToken.None));

        Assert.Equal("disk gone", failure.Message);
    }

    private static int? NiceOfCurrentThread() => OperatingSystem.IsLinux() ? Nice("/proc/thread-self/stat") : null;

    /// <summary>The main thread's, which is the process's.</summary>
    private static int NiceOfProcess() => Nice("/proc/self/stat");

    /// <summary>Field 19 of a <c>stat</c> file, after the parenthesised command name.</summary>
    private static int Nice(string statFile)
    {
        var stat = File.ReadAllText(statFile);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], CultureInfo.InvariantCulture);
    }
}
