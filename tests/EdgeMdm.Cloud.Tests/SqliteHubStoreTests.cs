namespace EdgeMdm.Cloud.Tests;

/// <summary>The conformance suite on SQLite: each database a file in a temp directory of this test's own.</summary>
public sealed class SqliteHubStoreTests : HubStoreConformance, IDisposable
{
    private readonly TempDirectory _directory = new("edgemdm-cloud-");
    private int _databases;

    protected override Task<string> NewDatabaseAsync() =>
        Task.FromResult($"Data Source={Path.Combine(_directory.Path, $"hub-{++_databases}.db")}");

    public void Dispose() => _directory.Dispose();
}
