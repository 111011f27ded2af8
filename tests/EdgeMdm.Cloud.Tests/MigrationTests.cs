using EdgeMdm.Cloud.Storage;

namespace EdgeMdm.Cloud.Tests;

public sealed class MigrationTests
{
    [Fact]
    public void Both_backends_have_the_same_numbered_migrations()
    {
        // Act
        var sqlite = Migration.For("Sqlite");
        var postgres = Migration.For("Postgres");

        // Assert: a schema change made for one backend only would make the conformance suite's backends differ
        Assert.NotEmpty(sqlite);
        Assert.Equal(sqlite.Select(m => (m.Version, m.Name)), postgres.Select(m => (m.Version, m.Name)));
    }
}
