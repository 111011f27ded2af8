using EdgeMdm.ServiceDefaults;
using SQLite;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The writer on its own (a temporary database, no server): what a batch of units promises when one of them fails.
/// Units land in one batch because the writer is held by a unit of its own while they queue.
/// </summary>
public sealed class GroupCommitWriterTests : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-writer-").FullName;
    private readonly GroupCommitWriter _writer;

    public GroupCommitWriterTests()
    {
        var connection = EdgeDatabase.Open(_directory);
        connection.Execute("CREATE TABLE rows (name TEXT PRIMARY KEY, body BLOB NOT NULL)");
        _writer = new GroupCommitWriter(connection);
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_unit_that_throws_leaves_nothing_and_the_others_of_its_batch_commit_once()
    {
        var (before, _) = _writer.Counters;

        var units = await InOneBatchAsync(
            unit => Insert(unit, "first", 10),
            unit =>
            {
                Insert(unit, "doomed", 10);
                throw new InvalidOperationException("the unit failed after its insert");
            },
            unit => Insert(unit, "last", 10));

        Assert.Equal(1, await units[0]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => units[1]);
        Assert.Equal(1, await units[2]);
        Assert.Equal(2, _writer.Counters.Batches - before); // the holder's, then the three units'
        Assert.Equal(["first", "last"], Names());
    }

    [Fact]
    public async Task A_full_disk_under_one_unit_fails_its_whole_batch_and_the_writer_goes_on()
    {
        // SQLite ends the whole transaction when a statement runs out of pages, not just the unit's savepoint.
        var pages = await _writer.WriteAsync(unit => unit.Db.ExecuteScalar<long>("PRAGMA page_count"));
        await _writer.WriteAsync(unit => unit.Db.ExecuteScalar<long>($"PRAGMA max_page_count = {pages + 2}"));

        var units = await InOneBatchAsync(
            unit => Insert(unit, "small", 10),
            unit => Insert(unit, "too large", 64 * 1024),
            unit => Insert(unit, "after", 10));

        foreach (var unit in units)
            await Assert.ThrowsAsync<StorageFullException>(() => unit).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(0, _writer.StorageFullSince);
        Assert.Empty(Names());
        Assert.Equal(1, await _writer.WriteAsync(unit => Insert(unit, "once there is room", 10)).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, _writer.StorageFullSince);
    }

    /// <summary>Queues <paramref name="works"/> while a unit of the test's holds the writer, so that they run as one batch.</summary>
    private async Task<Task<int>[]> InOneBatchAsync(params Func<UnitOfWork, int>[] works)
    {
        using var running = new ManualResetEventSlim();
        using var held = new ManualResetEventSlim();
        var holder = _writer.WriteAsync(_ =>
        {
            running.Set();
            return held.Wait(TimeSpan.FromSeconds(10));
        });
        Assert.True(running.Wait(TimeSpan.FromSeconds(10)));
        var units = works.Select(_writer.WriteAsync).ToArray();
        held.Set();
        Assert.True(await holder);
        return units;
    }

    private static int Insert(UnitOfWork unit, string name, int bytes) =>
        unit.Db.Execute("INSERT INTO rows (name, body) VALUES (?, ?)", name, new byte[bytes]);

    private string[] Names()
    {
        using var reader = new SQLiteConnection(EdgeDatabase.PathIn(_directory), SQLiteOpenFlags.ReadOnly);
        return [.. reader.QueryScalars<string>("SELECT name FROM rows ORDER BY rowid")];
    }
}
