namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The conformance suite on PostgreSQL: each database created on the run's throwaway server. Without a
/// server the tests fail under CI=true (a CI run must prove both backends) and are skipped, saying why,
/// on a developer machine.
/// </summary>
[Collection(PostgresServerGroup.Name)]
public sealed class PostgresHubStoreTests(PostgresServer server) : HubStoreConformance
{
    protected override Task<string> NewDatabaseAsync() => server.CreateDatabaseOrSkipAsync();
}
