using EdgeMdm.Domain.Schema;

namespace EdgeMdm.Cloud.Storage;

internal static class SchemaMigrator
{
    /// <summary>
    /// Applies every numbered migration not yet recorded (up to <paramref name="throughVersion"/> when given:
    /// tests build a database as an older hub left it), all of them in one write transaction, so an upgrade cut by a
    /// power loss or stopped by a failing statement leaves the old schema, never a level in between (SQLite's and
    /// PostgreSQL's DDL are both transactional). The backend's <see cref="IHubDatabase.MigrationLock"/> makes hub
    /// replicas starting together wait for the first: the next finds everything recorded.
    /// </summary>
    public static Task MigrateAsync(IHubDatabase db, CancellationToken cancellationToken, int throughVersion = int.MaxValue) =>
        MigrateAsync(db, Migrations.For(db.Backend).Where(m => m.Version <= throughVersion).ToList(), cancellationToken);

    /// <summary>Applies those of <paramref name="migrations"/> not yet recorded, in one transaction (tests give their own).</summary>
    public static async Task MigrateAsync(IHubDatabase db, IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        if (db.MigrationLock is { } lockStatement)
            await s.ExecuteAsync(lockStatement);
        await s.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
        var applied = (await s.QueryAsync("SELECT version FROM schema_migrations")).Select(row => row.Long(0)).ToHashSet();
        var appliedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
        {
            foreach (var statement in migration.Statements)
                await s.ExecuteAsync(statement);
            await s.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", migration.Version, migration.Name, appliedAt);
        }

        await s.CommitAsync();
    }
}
