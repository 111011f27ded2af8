namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The conformance suite on PostgreSQL: each database created on the run's throwaway server. Without a
/// server the tests fail under CI=true (a CI run must prove both backends) and are skipped, saying why,
/// on a developer machine.
/// </summary>
[Collection(PostgresServerGroup.Name)]
public sealed class PostgresHubStoreTests(PostgresServer server) : HubStoreConformance
{
    protected override Task<string> NewDatabaseAsync()
    {
        if (server.Unavailable is { } reason)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException("PostgreSQL is required when CI=true but could not be started: " + reason);
            Skip.If(true, "PostgreSQL unavailable (run tests/scripts/setup.sh as root to install it): " + reason);
        }

        return server.CreateDatabaseAsync();
    }
}
