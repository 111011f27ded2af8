using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Security;
using SQLite;

namespace EdgeMdm.Edge.Storage;

/// <summary>A person who may sign in to the appliance, as the hub last sent it (never the password or its hash).</summary>
public sealed record SiteUser(string UserName, string Role, DateTimeOffset UpdatedAt);

/// <summary>
/// The site's users for the appliance's local web page: who may sign in, checked against the hashes the hub
/// sent down, so it works with the uplink down. Read-only here: the hub owns the users (ADR 0001).
/// </summary>
public interface ISiteUserDirectory
{
    /// <summary>Every site user, by name.</summary>
    IReadOnlyList<SiteUser> ListSiteUsers();

    /// <summary>The user when <paramref name="password"/> is theirs; null for an unknown user or a wrong password alike.</summary>
    SiteUser? VerifySiteUser(string userName, string password);
}

// Site users from the hub's feed: applied inside ApplyDownstream's writer unit, idempotently by user name.
public sealed partial class SqliteEdgeStore : ISiteUserDirectory
{
    // Checked when the name is unknown, so that an unknown name takes as long as a wrong password and the
    // sign-in page's timing does not tell which names exist.
    private static readonly Lazy<string> UnknownUserHash = new(() => PasswordHash.Create(GeneratedPassword.New()));

    public IReadOnlyList<SiteUser> ListSiteUsers() =>
        _reads.Read(db => db.Query<SiteUserRow>("SELECT user_name AS UserName, role AS Role, password_hash AS PasswordHash, updated_at AS UpdatedAt FROM site_users ORDER BY user_name")
            .Select(r => r.ToSiteUser())
            .ToList());

    public SiteUser? VerifySiteUser(string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        var row = _reads.Read(db => db.Query<SiteUserRow>(
            "SELECT user_name AS UserName, role AS Role, password_hash AS PasswordHash, updated_at AS UpdatedAt FROM site_users WHERE user_name = ?",
            userName).SingleOrDefault());

        // PBKDF2 runs outside the database: a slow check must not hold a pooled connection.
        var verified = PasswordHash.Verify(password, row?.PasswordHash ?? UnknownUserHash.Value);
        return verified && row is not null ? row.ToSiteUser() : null;
    }

    /// <summary>Inserts or replaces the user by name; a repeat of the same change leaves the same row.</summary>
    private static void UpsertSiteUser(SQLiteConnection db, SiteUserUpserted user, long atMs) =>
        db.Execute(
            """
            INSERT INTO site_users (user_name, role, password_hash, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (user_name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, updated_at = excluded.updated_at
            """,
            user.UserName, user.Role, user.PasswordHash, atMs);

    /// <summary>Removes the user; removing one that is not here (a replay) changes nothing.</summary>
    private static void RemoveSiteUser(SQLiteConnection db, SiteUserRemoved user) =>
        db.Execute("DELETE FROM site_users WHERE user_name = ?", user.UserName);

    private sealed class SiteUserRow
    {
        public string UserName { get; set; } = "";

        public string Role { get; set; } = "";

        public string PasswordHash { get; set; } = "";

        public long UpdatedAt { get; set; }

        public SiteUser ToSiteUser() => new(UserName, Role, DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt));
    }
}
