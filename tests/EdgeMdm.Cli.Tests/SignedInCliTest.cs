namespace EdgeMdm.Cli.Tests;

/// <summary>A test class whose every test runs the CLI signed in to a fresh <see cref="FakeHub"/>.</summary>
public abstract class SignedInCliTest : CliTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Cli.LoginAsync(Hub);
    }
}
