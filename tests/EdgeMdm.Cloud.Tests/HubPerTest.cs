using Microsoft.AspNetCore.Builder;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// A test class whose every test gets a hub of its own (<see cref="RunningHub"/>), started before the test and stopped
/// after it, so no test sees what another left in the hub's database.
/// </summary>
[Trait("Category", "Integration")]
public abstract class HubPerTest : IAsyncLifetime
{
    private readonly Action<WebApplicationBuilder>? _configure;
    private readonly string[] _settings;

    /// <param name="settings">More command-line settings for the hub, e.g. <c>--max-package-bytes 1000</c>.</param>
    protected HubPerTest(params string[] settings) => _settings = settings;

    /// <param name="configure">What the test changes on the builder (Kestrel's limits) before the hub reads its settings.</param>
    protected HubPerTest(Action<WebApplicationBuilder> configure)
    {
        _configure = configure;
        _settings = [];
    }

    private protected RunningHub Hub { get; private set; } = null!;

    public async Task InitializeAsync() => Hub = await RunningHub.StartAsync(_configure, map: null, _settings);

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}
