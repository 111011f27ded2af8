namespace EdgeMdm.Cloud.Storage;

/// <summary>
/// The little a backend must provide so that the feature stores hold all the hub's SQL once: open a
/// transaction, run parameterised SQL in it. SQL is written with positional <c>?</c> parameters and the
/// subset both SQLite and PostgreSQL understand; <see cref="ForUpdate"/> is the one difference that matters.
/// </summary>
internal interface IHubDatabase : IAsyncDisposable
{
    /// <summary>
    /// Appended to a SELECT that must lock the rows it reads until commit (PostgreSQL " FOR UPDATE"). SQLite
    /// needs nothing: a write transaction there holds the database's single write lock from its start.
    /// </summary>
    string ForUpdate { get; }

    /// <summary>Names its migrations folder: <c>Storage/{Backend}/Migrations</c>.</summary>
    string Backend { get; }

    /// <summary>A statement run first in each migration's transaction to exclude other processes; null when the transaction already does.</summary>
    string? MigrationLock { get; }

    /// <summary>Opens a transaction; <paramref name="write"/> false promises only reads.</summary>
    Task<HubSession> BeginAsync(bool write, CancellationToken cancellationToken);
}

/// <summary>
/// One open transaction. Disposing without <see cref="CommitAsync"/> rolls back. It is also the unit of work a
/// store passes to another feature's in-transaction interface (a feed append, a site lock), so that one write
/// touching several features' tables stays one atomic commit.
/// </summary>
internal abstract class HubSession : IAsyncDisposable
{
    /// <summary>Runs a statement; returns the number of rows it changed.</summary>
    public abstract Task<int> ExecuteAsync(string sql, params object?[] args);

    /// <summary>
    /// Runs a query; each row's values are <see cref="long"/>, <see cref="string"/>, <see cref="bool"/>,
    /// byte[] or null (read them through <see cref="Row"/>, which hides SQLite's integers-for-booleans).
    /// </summary>
    public abstract Task<List<Row>> QueryAsync(string sql, params object?[] args);

    public abstract Task CommitAsync();

    public abstract ValueTask DisposeAsync();

    public async Task<Row?> SingleOrDefaultAsync(string sql, params object?[] args) =>
        (await QueryAsync(sql, args)).SingleOrDefault();
}

/// <summary>A result row, read by column index.</summary>
internal sealed class Row(object?[] values)
{
    public string Text(int i) => values[i] as string ?? "";

    public string? NullableText(int i) => values[i] as string;

    public long Long(int i) => values[i] is null ? 0 : Convert.ToInt64(values[i], System.Globalization.CultureInfo.InvariantCulture);

    public ulong ULong(int i) => (ulong)Long(i);

    public long? NullableLong(int i) => values[i] is null ? null : Long(i);

    public bool Bool(int i) => values[i] is bool b ? b : Long(i) != 0;

    /// <summary>
    /// A time stored as Unix milliseconds. A value no <see cref="DateTimeOffset"/> holds (a row a site wrote before
    /// the hub checked the times it receives) reads as the nearest one that does, never as a failed read.
    /// </summary>
    public DateTimeOffset Time(int i) => UnixTime(Long(i)) ?? (Long(i) < 0 ? DateTimeOffset.MinValue : DateTimeOffset.MaxValue);

    /// <summary>A time stored as Unix milliseconds, or null; also null (unknown) for a value no <see cref="DateTimeOffset"/> holds.</summary>
    public DateTimeOffset? NullableTime(int i) => values[i] is null ? null : UnixTime(Long(i));

    private static readonly long MinUnixMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private static DateTimeOffset? UnixTime(long ms) => ms >= MinUnixMs && ms <= MaxUnixMs ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public byte[] Bytes(int i) => values[i] as byte[] ?? [];

    /// <summary>The row as text the same on both backends (booleans as 0/1, bytes as hex, null kept), for digests.</summary>
    public string?[] Canonical() => values.Select(v => v switch
    {
        null => null,
        byte[] bytes => Convert.ToHexStringLower(bytes),
        bool b => b ? "1" : "0",
        string text => text,
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture),
    }).ToArray();
}

internal static class HubLocks
{
    /// <summary>
    /// Takes the catalog lock, one row that every write fanned out to all of a tenant's (or the hub's) sites takes
    /// first, and site creation too: such writes never interleave, so a new site gets each of them either in its
    /// first feed or from the fan-out, never neither, never both. Locks are always taken catalog first, then sites
    /// in id order.
    /// </summary>
    public static Task<List<Row>> LockCatalogAsync(this IHubDatabase db, HubSession session) =>
        session.QueryAsync("SELECT id FROM catalog_lock WHERE id = 1" + db.ForUpdate);
}
