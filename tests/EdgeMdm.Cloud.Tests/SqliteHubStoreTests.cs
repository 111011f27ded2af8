namespace EdgeMdm.Cloud.Tests;

/// <summary>The conformance suite on SQLite: each database a file in a temp directory of this test's own.</summary>
public sealed class SqliteHubStoreTests : HubStoreConformance, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-cloud-").FullName;
    private int _databases;

    protected override Task<string> NewDatabaseAsync() =>
        Task.FromResult($"Data Source={Path.Combine(_directory, $"hub-{++_databases}.db")}");

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
