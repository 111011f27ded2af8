namespace EdgeMdm.Cli.Tests;

/// <summary>A test class whose every test runs the CLI, not yet signed in, next to a fresh <see cref="FakeHub"/>.</summary>
public abstract class CliTest : IAsyncLifetime, IDisposable
{
    protected CliRun Cli { get; } = new();

    protected FakeHub Hub { get; private set; } = null!;

    public virtual async Task InitializeAsync() => Hub = await FakeHub.StartAsync();

    public async Task DisposeAsync() => await Hub.DisposeAsync();

    public void Dispose()
    {
        Cli.Dispose();
        GC.SuppressFinalize(this);
    }
}
