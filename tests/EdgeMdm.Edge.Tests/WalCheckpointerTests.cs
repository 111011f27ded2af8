using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Tests;

public sealed class WalCheckpointerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-wal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Committed_pages_reach_the_database_file_while_the_store_runs_though_the_writer_never_checkpoints()
    {
        await using var store = SqliteEdgeStore.Open(_directory);
        var databaseFile = new FileInfo(EdgeDatabase.PathIn(_directory));
        var before = databaseFile.Length;

        // 8 MiB through the writer: far past the 1000 pages at which SQLite would checkpoint on the writer's own thread.
        await store.Writer.WriteAsync(db => db.Execute("CREATE TABLE scratch (payload BLOB NOT NULL)"));
        for (var i = 0; i < 32; i++)
            await store.Writer.WriteAsync(db => db.Execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 32) INSERT INTO scratch (payload) SELECT randomblob(8192) FROM n"));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline && Length(databaseFile) < before + (7L << 20))
            await Task.Delay(50);

        Assert.True(Length(databaseFile) >= before + (7L << 20), $"edge.db grew from {before} to {Length(databaseFile)} bytes only");
    }

    private static long Length(FileInfo file)
    {
        file.Refresh();
        return file.Length;
    }
}
