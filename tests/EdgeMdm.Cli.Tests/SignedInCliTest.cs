namespace EdgeMdm.Cli.Tests;

/// <summary>A test class whose every test runs the CLI signed in to a fresh <see cref="FakeHub"/>.</summary>
public abstract class SignedInCliTest : IAsyncLifetime, IDisposable
{
    protected CliRun Cli { get; } = new();

    protected FakeHub Hub { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Hub = await FakeHub.StartAsync();
        await Cli.LoginAsync(Hub);
    }

    public async Task DisposeAsync() => await Hub.DisposeAsync();

    public void Dispose()
    {
        Cli.Dispose();
        GC.SuppressFinalize(this);
    }
}
