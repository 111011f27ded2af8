using EdgeMdm.Edge.Storage;
using EdgeMdm.ServiceDefaults.WebSignIn;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>The supervisor page's sessions, table <c>web_sessions</c> (migration 0016).</summary>
internal sealed class WebSessionStore(EdgeStorage storage) : IWebSessionStore
{
    public Task AddSessionAsync(StoredWebSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return storage.WriteAsync(unit => unit.Db.Execute(
            "INSERT INTO web_sessions (key_hash, user_name, ticket, signed_in_at, renewed_at) VALUES (?, ?, ?, ?, ?)",
            session.KeyHash, session.UserName, session.Ticket, session.SignedInAt.ToUnixTimeMilliseconds(), session.RenewedAt.ToUnixTimeMilliseconds()));
    }

    public Task<StoredWebSession?> FindSessionAsync(string keyHash, CancellationToken cancellationToken = default) =>
        Task.FromResult(storage.Read(db => db.Query<SessionRow>(
                "SELECT key_hash AS KeyHash, user_name AS UserName, ticket AS Ticket, signed_in_at AS SignedInAt, renewed_at AS RenewedAt FROM web_sessions WHERE key_hash = ?",
                keyHash)
            .Select(r => r.ToSession())
            .SingleOrDefault()));

    public Task RenewSessionAsync(string keyHash, byte[] ticket, DateTimeOffset renewedAt, CancellationToken cancellationToken = default) =>
        storage.WriteAsync(unit => unit.Db.Execute(
            "UPDATE web_sessions SET ticket = ?, renewed_at = ? WHERE key_hash = ?", ticket, renewedAt.ToUnixTimeMilliseconds(), keyHash));

    public Task RemoveSessionAsync(string keyHash, CancellationToken cancellationToken = default) =>
        storage.WriteAsync(unit => unit.Db.Execute("DELETE FROM web_sessions WHERE key_hash = ?", keyHash));

    public Task RemoveUserSessionsAsync(string userName, CancellationToken cancellationToken = default) =>
        storage.WriteAsync(unit => unit.Db.Execute("DELETE FROM web_sessions WHERE user_name = ?", userName));

    public Task RemoveStaleSessionsAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
        storage.WriteAsync(unit => unit.Db.Execute("DELETE FROM web_sessions WHERE renewed_at < ?", before.ToUnixTimeMilliseconds()));

    private sealed class SessionRow
    {
        public string KeyHash { get; set; } = "";
        public string UserName { get; set; } = "";
        public byte[] Ticket { get; set; } = [];
        public long SignedInAt { get; set; }
        public long RenewedAt { get; set; }

        public StoredWebSession ToSession() =>
            new(KeyHash, UserName, Ticket, DateTimeOffset.FromUnixTimeMilliseconds(SignedInAt), DateTimeOffset.FromUnixTimeMilliseconds(RenewedAt));
    }
}
