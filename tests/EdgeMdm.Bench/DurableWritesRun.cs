using EdgeMdm.Edge.Storage;
using SQLite;
using SQLitePCL;

namespace EdgeMdm.Bench;

/// <summary>
/// Durable writes: the appliance's store (<see cref="GroupCommitWriter"/>: a queue, one writer thread, a savepoint per
/// unit, one <c>COMMIT</c> per group) against a loop of raw SQLite prepared statements committing groups of the same
/// size, in this process, on databases opened with the appliance's own settings (<see cref="EdgeDatabase.Open"/>: WAL,
/// <c>synchronous=FULL</c>; the writer's cache and in-memory temp store), on the disk the bench runs from. Each write is
/// one row of about a check-in's status. Once with one caller (every write its own commit), once with many callers at
/// a time (the group commit's case).
/// </summary>
internal static class DurableWritesRun
{
    private const int PayloadBytes = 1200;
    private const string CreateTable = "CREATE TABLE bench_writes (id INTEGER PRIMARY KEY AUTOINCREMENT, device TEXT NOT NULL, at INTEGER NOT NULL, body BLOB NOT NULL)";
    private const string Insert = "INSERT INTO bench_writes (device, at, body) VALUES (?, ?, ?)";
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(1);

    public static async Task<DurableResult> RunAsync(BenchOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        // Below the bench's working directory, not /tmp: a tmpfs would make every fsync free.
        var root = Path.Combine(Path.GetFullPath("artifacts"), "bench-durable-" + Guid.NewGuid().ToString("N"));
        try
        {
            var rows = new List<DurableRow>();
            foreach (var callers in new[] { 1, options.DurableWriters })
            {
                var store = await StoreAsync(Path.Combine(root, Invariant($"store-{callers}")), callers, options.DurableDuration, cancellationToken);
                var group = Math.Max(1, (int)Math.Round(store.MeanGroup));
                var raw = Raw(Path.Combine(root, Invariant($"raw-{callers}")), group, options.DurableDuration, cancellationToken);
                rows.Add(new DurableRow(callers, store, raw));
                log.WriteLine(Invariant($"  durable: {callers} caller(s): store {store.WritesPerSecond:0}/s in groups of {store.MeanGroup:0.0}, raw SQLite {raw.WritesPerSecond:0}/s in groups of {group}"));
            }

            return new DurableResult(rows, options.DurableDuration);
        }
        finally
        {
            BenchProcesses.DeleteDirectory(root, log);
        }
    }

    /// <summary>The store: <paramref name="callers"/> tasks, each awaiting one durable write after another.</summary>
    private static async Task<DurableFigures> StoreAsync(string directory, int callers, TimeSpan duration, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var connection = OpenLikeTheWriter(directory);
        await using var writer = new GroupCommitWriter(connection);
        var payload = Payload();
        long written = 0;
        var started = Stopwatch.GetTimestamp();
        var windowStart = started + Ticks(Warmup);
        var windowEnd = windowStart + Ticks(duration);
        (long Batches, long Units) before = default;
        var opening = Task.Run(
            async () =>
            {
                await Task.Delay(Warmup, cancellationToken);
                before = writer.Counters;
            },
            cancellationToken);
        var tasks = Enumerable.Range(0, callers).Select(c => Task.Run(
            async () =>
            {
                var device = Invariant($"device-{c}");
                while (Stopwatch.GetTimestamp() < windowEnd)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await writer.WriteAsync(unit =>
                    {
                        unit.Db.Prepared(Insert).Bind(1, device).Bind(2, DateTime.UtcNow.Ticks).Bind(3, payload).Execute();
                        return 0;
                    });
                    var now = Stopwatch.GetTimestamp();
                    if (now >= windowStart && now < windowEnd)
                        Interlocked.Increment(ref written);
                }
            },
            cancellationToken));
        await Task.WhenAll([opening, .. tasks]);
        var after = writer.Counters;
        var groups = after.Batches - before.Batches;
        return new DurableFigures(written / duration.TotalSeconds, groups == 0 ? 0 : (after.Units - before.Units) / (double)groups);
    }

    /// <summary>The reference: one thread, one prepared INSERT, <c>BEGIN IMMEDIATE</c> … <c>COMMIT</c> every <paramref name="group"/> rows.</summary>
    private static DurableFigures Raw(string directory, int group, TimeSpan duration, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        using var connection = OpenLikeTheWriter(directory);
        var db = connection.Handle;
        Check(db, raw.sqlite3_prepare_v2(db, Insert, out var insert));
        Check(db, raw.sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", out var begin));
        Check(db, raw.sqlite3_prepare_v2(db, "COMMIT", out var commit));
        using (insert)
        using (begin)
        using (commit)
        {
            var payload = Payload();
            long written = 0;
            var windowStart = Stopwatch.GetTimestamp() + Ticks(Warmup);
            var windowEnd = windowStart + Ticks(duration);
            while (Stopwatch.GetTimestamp() < windowEnd)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Step(db, begin);
                for (var i = 0; i < group; i++)
                {
                    raw.sqlite3_bind_text(insert, 1, "device-0");
                    raw.sqlite3_bind_int64(insert, 2, DateTime.UtcNow.Ticks);
                    raw.sqlite3_bind_blob(insert, 3, payload);
                    Step(db, insert);
                }

                Step(db, commit);
                var now = Stopwatch.GetTimestamp();
                if (now >= windowStart && now < windowEnd)
                    written += group;
            }

            return new DurableFigures(written / duration.TotalSeconds, group);
        }
    }

    /// <summary>The appliance's connection settings and the writer's own (<c>EdgeStorage.Open</c>), and the bench's table.</summary>
    private static SQLiteConnection OpenLikeTheWriter(string directory)
    {
        var connection = EdgeDatabase.Open(directory);
        connection.ExecuteScalar<long>("PRAGMA cache_size=-32768");
        connection.Execute("PRAGMA temp_store=MEMORY");
        connection.Execute(CreateTable);
        return connection;
    }

    private static void Step(sqlite3 db, sqlite3_stmt statement)
    {
        var result = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (result != raw.SQLITE_DONE)
            throw new InvalidOperationException(Invariant($"SQLite step failed ({result}): {raw.sqlite3_errmsg(db).utf8_to_string()}"));
    }

    private static void Check(sqlite3 db, int result)
    {
        if (result != raw.SQLITE_OK)
            throw new InvalidOperationException(Invariant($"SQLite prepare failed ({result}): {raw.sqlite3_errmsg(db).utf8_to_string()}"));
    }

    private static byte[] Payload()
    {
        var payload = new byte[PayloadBytes];
        new Random(7).NextBytes(payload);
        return payload;
    }

    private static long Ticks(TimeSpan duration) => (long)(duration.TotalSeconds * Stopwatch.Frequency);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Durable writes a second over the window, and the mean number of writes per commit.</summary>
internal sealed record DurableFigures(double WritesPerSecond, double MeanGroup);

/// <summary>One row: the store and the raw loop, with <see cref="Callers"/> callers at a time.</summary>
internal sealed record DurableRow(int Callers, DurableFigures Store, DurableFigures Raw)
{
    public double Ratio => Raw.WritesPerSecond > 0 ? Store.WritesPerSecond / Raw.WritesPerSecond : double.NaN;
}

/// <summary>The rows of the scenario. A write that fails ends the bench with its exception: there is no error count.</summary>
internal sealed record DurableResult(IReadOnlyList<DurableRow> Rows, TimeSpan Duration);
