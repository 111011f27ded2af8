namespace EdgeMdm.Edge.Tests;

public sealed class CopierThreadsTests
{
    [Fact]
    public async Task Work_and_its_continuations_run_on_the_copier_threads()
    {
        using var scheduler = new CopierThreads("test copier", 2);
        var seen = new List<string?>();

        await scheduler.Run(async () =>
        {
            seen.Add(Thread.CurrentThread.Name);
            await Task.Delay(10);
            seen.Add(Thread.CurrentThread.Name);
        }, CancellationToken.None);

        Assert.Equal(2, seen.Count);
        Assert.All(seen, name => Assert.StartsWith("test copier ", name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failure_in_the_work_reaches_the_caller()
    {
        using var scheduler = new CopierThreads("test copier", 1);

        var failure = await Assert.ThrowsAsync<IOException>(() => scheduler.Run(() => throw new IOException("disk gone"), CancellationToken.None));

        Assert.Equal("disk gone", failure.Message);
    }
}
