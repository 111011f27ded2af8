using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>The console's sessions, table <c>web_sessions</c> (migration 0013), on either backend.</summary>
internal sealed class SqlWebSessionStore(IHubDatabase db) : IWebSessionStore
{
    public Task AddSessionAsync(StoredWebSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return WriteAsync(
            "INSERT INTO web_sessions (key_hash, user_name, ticket, signed_in_at, renewed_at) VALUES (?, ?, ?, ?, ?)",
            [session.KeyHash, session.UserName, Convert.ToBase64String(session.Ticket), session.SignedInAt.ToUnixTimeMilliseconds(), session.RenewedAt.ToUnixTimeMilliseconds()],
            cancellationToken);
    }

    public async Task<StoredWebSession?> FindSessionAsync(string keyHash, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var row = await s.SingleOrDefaultAsync("SELECT key_hash, user_name, ticket, signed_in_at, renewed_at FROM web_sessions WHERE key_hash = ?", keyHash);
        return row is null ? null : new StoredWebSession(row.Text(0), row.Text(1), Convert.FromBase64String(row.Text(2)), row.Time(3), row.Time(4));
    }

    public Task RenewSessionAsync(string keyHash, byte[] ticket, DateTimeOffset renewedAt, CancellationToken cancellationToken = default) =>
        WriteAsync("UPDATE web_sessions SET ticket = ?, renewed_at = ? WHERE key_hash = ?", [Convert.ToBase64String(ticket), renewedAt.ToUnixTimeMilliseconds(), keyHash], cancellationToken);

    public Task RemoveSessionAsync(string keyHash, CancellationToken cancellationToken = default) =>
        WriteAsync("DELETE FROM web_sessions WHERE key_hash = ?", [keyHash], cancellationToken);

    public Task RemoveUserSessionsAsync(string userName, CancellationToken cancellationToken = default) =>
        WriteAsync("DELETE FROM web_sessions WHERE user_name = ?", [userName], cancellationToken);

    public Task RemoveStaleSessionsAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
        WriteAsync("DELETE FROM web_sessions WHERE renewed_at < ?", [before.ToUnixTimeMilliseconds()], cancellationToken);

    private async Task WriteAsync(string sql, object?[] args, CancellationToken cancellationToken)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await s.ExecuteAsync(sql, args);
        await s.CommitAsync();
    }
}
