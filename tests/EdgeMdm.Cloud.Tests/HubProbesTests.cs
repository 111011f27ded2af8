using Microsoft.Extensions.DependencyInjection;

namespace EdgeMdm.Cloud.Tests;

/// <summary><c>/readyz</c>, <c>/metrics</c> and where the hub keeps its keys, on the real host.</summary>
[Trait("Category", "Integration")]
public sealed class HubProbesTests
{
    [Fact]
    public async Task Readyz_is_200_with_the_database_migrated_and_space_on_both_directories()
    {
        // Arrange
        await using var hub = await RunningHub.StartAsync();

        // Act
        var (status, checks) = await ReadinessAsync(hub);

        // Assert
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["blob-disk", "database", "database-disk"], checks.Keys.Order(StringComparer.Ordinal));
        Assert.All(checks.Values, c => Assert.Equal("Healthy", c.Status));
        Assert.Matches("^Sqlite, schema version [0-9]+$", checks["database"].Description);
    }

    [Fact]
    public async Task Readyz_is_503_naming_the_schema_version_when_a_migration_is_missing()
    {
        // Arrange: as if an older hub had migrated the database the newer one now serves
        await using var hub = await RunningHub.StartAsync();
        var db = hub.App.Services.GetRequiredService<IHubDatabase>();
        await using (var s = await db.BeginAsync(write: true, CancellationToken.None))
        {
            await s.ExecuteAsync("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)");
            await s.CommitAsync();
        }

        // Act
        var (status, checks) = await ReadinessAsync(hub);

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", checks["database"].Status);
        Assert.Matches("schema is at version [0-9]+, this hub needs [0-9]+$", checks["database"].Description);
    }

    [Fact]
    public async Task Readyz_is_503_naming_the_directory_when_free_space_is_below_the_floor()
    {
        // Arrange: a floor no disk reaches
        await using var hub = await RunningHub.StartAsync("--storage-floor-bytes", long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Act
        var (status, checks) = await ReadinessAsync(hub);

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Healthy", checks["database"].Status);
        Assert.Contains(Path.Combine(hub.Directory, "blobs"), checks["blob-disk"].Description, StringComparison.Ordinal);
        Assert.Contains("below the", checks["blob-disk"].Description, StringComparison.Ordinal);
        Assert.Equal("Unhealthy", checks["database-disk"].Status);
    }

    [Fact]
    public async Task Data_protection_keys_are_kept_beside_the_database()
    {
        // Act
        await using var hub = await RunningHub.StartAsync();

        // Assert: the key ring is loaded (and made) at start, in the hub's directory rather than a home directory
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(hub.Directory, "keys"), "key-*.xml"));
    }

    [Fact]
    public async Task The_database_check_gives_up_after_its_timeout_on_a_database_that_hangs()
    {
        // Arrange
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var check = new HubDatabaseHealthCheck(new HangingDatabase(), time);

        // Act
        var probe = check.CheckHealthAsync(new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext());
        while (!probe.IsCompleted)
        {
            time.Advance(HubDatabaseHealthCheck.Timeout);
            await Task.WhenAny(probe, Task.Delay(TimeSpan.FromMilliseconds(20)));
        }

        var result = await probe;

        // Assert
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, result.Status);
        Assert.Equal("the Sqlite database did not answer within 5 s", result.Description);
    }

    internal static async Task<(HttpStatusCode Status, Dictionary<string, (string Status, string Description)> Checks)> ReadinessAsync(RunningHub hub)
    {
        using var response = await hub.Rest.GetAsync(new Uri("/readyz", UriKind.Relative));
        var body = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        var checks = body["checks"]!.AsArray().ToDictionary(
            c => c!["name"]!.GetValue<string>(),
            c => (c!["status"]!.GetValue<string>(), c["description"]!.GetValue<string>()),
            StringComparer.Ordinal);
        return (response.StatusCode, checks);
    }

    /// <summary>A backend that never answers and ignores cancellation, as a hung SQLite call would.</summary>
    private sealed class HangingDatabase : IHubDatabase
    {
        public string ForUpdate => "";

        public string Backend => "Sqlite";

        public string? MigrationLock => null;

        public Task<HubSession> BeginAsync(bool write, CancellationToken cancellationToken) => new TaskCompletionSource<HubSession>().Task;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary><c>/readyz</c> of a hub on PostgreSQL: the same database check, through the same interface.</summary>
[Collection(PostgresServerGroup.Name)]
[Trait("Category", "Integration")]
public sealed class PostgresHubProbesTests(PostgresServer server)
{
    [SkippableFact]
    public async Task Readyz_is_200_with_the_postgres_database_migrated_and_checks_no_sqlite_directory()
    {
        // Arrange
        var database = await server.CreateDatabaseOrSkipAsync();
        using var blobs = new TempDirectory("edgemdm-blobs-");
        await using var hub = await RunningHub.StartAsync("--database", database, "--blob-directory", blobs.Path);

        // Act
        var (status, checks) = await HubProbesTests.ReadinessAsync(hub);

        // Assert
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["blob-disk", "database"], checks.Keys.Order(StringComparer.Ordinal));
        Assert.Matches("^Postgres, schema version [0-9]+$", checks["database"].Description);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(blobs.Path, "keys"), "key-*.xml")); // shared by the replicas, as the blobs are
    }
}
