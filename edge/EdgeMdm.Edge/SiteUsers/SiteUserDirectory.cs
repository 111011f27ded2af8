using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using SQLite;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.SiteUsers;

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

    /// <summary>The user named <paramref name="userName"/>, as the hub last sent them; null when there is none.</summary>
    SiteUser? FindSiteUser(string userName);

    /// <summary>The user when <paramref name="password"/> is theirs; null for an unknown user or a wrong password alike.</summary>
    SiteUser? VerifySiteUser(string userName, string password);
}

/// <summary>Site users (table <c>site_users</c>) from the hub's feed, applied idempotently by user name.</summary>
internal sealed class SiteUserDirectory(EdgeStorage storage) : ISiteUserDirectory, IFeedHandler
{
    private const string Select = "SELECT user_name AS UserName, role AS Role, password_hash AS PasswordHash, updated_at AS UpdatedAt FROM site_users";

    public IReadOnlyCollection<HubChange.ChangeOneofCase> Kinds { get; } =
        [HubChange.ChangeOneofCase.SiteUserUpserted, HubChange.ChangeOneofCase.SiteUserRemoved];

    public IReadOnlyList<SiteUser> ListSiteUsers() =>
        storage.Read(db => db.Query<SiteUserRow>(Select + " ORDER BY user_name").Select(r => r.ToSiteUser()).ToList());

    public SiteUser? FindSiteUser(string userName) =>
        storage.Read(db => db.Query<SiteUserRow>(Select + " WHERE user_name = ?", userName).SingleOrDefault())?.ToSiteUser();

    public SiteUser? VerifySiteUser(string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);
        var row = storage.Read(db => db.Query<SiteUserRow>(Select + " WHERE user_name = ?", userName).SingleOrDefault());

        // PBKDF2 runs outside the database: a slow check must not hold a pooled connection. An unknown name takes
        // as long as a wrong password, so the sign-in page's timing does not tell which names exist.
        return PasswordHash.VerifyFound(password, row?.PasswordHash) && row is not null ? row.ToSiteUser() : null;
    }

    public bool Apply(UnitOfWork unit, HubChange change)
    {
        if (change.ChangeCase == HubChange.ChangeOneofCase.SiteUserUpserted)
            Upsert(unit.Db, change.SiteUserUpserted, change.AtUnixMs);
        else
            unit.Db.Execute("DELETE FROM site_users WHERE user_name = ?", change.SiteUserRemoved.UserName);
        return true;
    }

    /// <summary>Inserts or replaces the user by name; a repeat of the same change leaves the same row.</summary>
    private static void Upsert(SQLiteConnection db, SiteUserUpserted user, long atMs) =>
        db.Execute(
            """
            INSERT INTO site_users (user_name, role, password_hash, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (user_name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, updated_at = excluded.updated_at
            """,
            user.UserName, user.Role, user.PasswordHash, atMs);

    private sealed class SiteUserRow
    {
        public string UserName { get; set; } = "";

        public string Role { get; set; } = "";

        public string PasswordHash { get; set; } = "";

        public long UpdatedAt { get; set; }

        public SiteUser ToSiteUser() => new(UserName, Role, DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt));
    }
}

public static class SiteUserRegistration
{
    public static IServiceCollection AddSiteUsers(this IServiceCollection services) =>
        services.AddSingletonServing<SiteUserDirectory>(typeof(ISiteUserDirectory), typeof(IFeedHandler)).AddSiteOperatorAuthentication();
}
