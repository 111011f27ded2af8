using System.Globalization;
using EdgeMdm.Edge.Packages;

namespace EdgeMdm.Edge.Tests;

public sealed class BackgroundPrioritySchedulerTests
{
    [Fact]
    public async Task Work_and_its_continuations_run_on_the_scheduler_s_threads_below_normal_priority()
    {
        using var scheduler = new BackgroundPriorityScheduler("test copier", 2);
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
            Assert.All(seen, s => Assert.Equal(10, s.Nice));
    }

    [Fact]
    public async Task A_failure_in_the_work_reaches_the_caller()
    {
        using var scheduler = new BackgroundPriorityScheduler("test copier", 1);

        var failure = await Assert.ThrowsAsync<IOException>(() => scheduler.Run(() => throw new IOException("disk gone"), CancellationToken.None));

        Assert.Equal("disk gone", failure.Message);
    }

    /// <summary>Field 19 of <c>/proc/thread-self/stat</c>, after the parenthesised command name.</summary>
    private static int? NiceOfCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
            return null;
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], CultureInfo.InvariantCulture);
    }
}
