using EdgeMdm.Testing;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// One throwaway PostgreSQL for the whole test run (<see cref="ThrowawayPostgres"/>), started before the first test of
/// the collection and stopped after the last. When it cannot start, each test that asks for a database fails under
/// CI=true and is skipped, saying why, elsewhere.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private ThrowawayPostgres? _server;
    private string? _unavailable;

    public async Task InitializeAsync() => (_server, _unavailable) = await ThrowawayPostgres.TryStartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }

    /// <summary>An empty database's connection string, or the test fails (CI) / is skipped (elsewhere).</summary>
    public Task<string> CreateDatabaseOrSkipAsync() =>
        _server?.CreateDatabaseAsync() ?? throw ThrowawayPostgres.SkipOrFail(_unavailable!);
}

[CollectionDefinition(Name)]
public sealed class PostgresServerGroup : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
