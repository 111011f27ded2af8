namespace EdgeMdm.Cloud.Storage;

internal static class SchemaMigrator
{
    /// <summary>
    /// Applies every numbered migration not yet recorded (up to <paramref name="throughVersion"/> when given:
    /// tests build a database as an older hub left it), each in its own write transaction. The backend's
    /// <see cref="IHubDatabase.MigrationLock"/> makes hub replicas starting together apply each once.
    /// </summary>
    public static async Task MigrateAsync(IHubDatabase db, CancellationToken cancellationToken, int throughVersion = int.MaxValue)
    {
        foreach (var migration in Migrations.For(db.Backend).Where(m => m.Version <= throughVersion))
        {
            await using var s = await db.BeginAsync(write: true, cancellationToken);
            if (db.MigrationLock is { } lockStatement)
                await s.ExecuteAsync(lockStatement);
            await s.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            if (await s.SingleOrDefaultAsync("SELECT 1 FROM schema_migrations WHERE version = ?", migration.Version) is not null)
                continue;
            foreach (var statement in migration.Statements)
                await s.ExecuteAsync(statement);
            await s.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                migration.Version, migration.Name, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await s.CommitAsync();
        }
    }
}
