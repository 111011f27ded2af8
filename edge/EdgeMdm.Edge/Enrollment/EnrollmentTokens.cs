using System.Security.Cryptography;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;
using SQLite;

namespace EdgeMdm.Edge.Enrollment;

public sealed record TokenSummary(string Prefix, string Group, int UsesAllowed, int UsesCount, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt);

/// <summary>A freshly created enrollment token; the clear value is shown once and never stored.</summary>
public sealed record IssuedToken(string Token, string Group, int Uses, DateTimeOffset ExpiresAt);

/// <summary>A token that may enroll one more device now, and the group it enrolls into.</summary>
public sealed record UsableToken(string TokenHash, string Prefix, string Group);

/// <summary>
/// Enrollment tokens (table <c>enrollment_tokens</c>): issued by the hub (feed), imported from the seed file, or
/// created by the site's operator. Only their SHA-256 and a short prefix are stored.
/// </summary>
public interface ITokenStore
{
    Task<IssuedToken> CreateTokenAsync(string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now);

    /// <summary>Records a token whose clear value comes from elsewhere (the seed file), in the caller's unit; idempotent.</summary>
    void Import(UnitOfWork unit, string clearToken, string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now);

    IReadOnlyList<TokenSummary> ListTokens();

    /// <summary>The token when it may enroll one more device now; otherwise why not.</summary>
    Outcome<UsableToken> Usable(UnitOfWork unit, string tokenHash, DateTimeOffset now);

    /// <summary>Counts one enrollment against the token.</summary>
    void Use(UnitOfWork unit, string tokenHash);
}

internal sealed class EnrollmentTokens(EdgeStorage storage, IAuditLog audit) : ITokenStore, IFeedHandler
{
    // The titles of Usable's refusals; EnrollmentRefusals counts each under its own reason.
    internal const string UnknownTitle = "Enrollment token not recognised";
    internal const string ExpiredTitle = "Enrollment token expired";
    internal const string UsedUpTitle = "Enrollment token used up";

    public IReadOnlyCollection<HubChange.ChangeOneofCase> Kinds { get; } = [HubChange.ChangeOneofCase.TokenIssued, HubChange.ChangeOneofCase.TokenRevoked];

    public async Task<IssuedToken> CreateTokenAsync(string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now)
    {
        var clear = "et_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        await storage.WriteAsync(unit =>
        {
            Insert(unit.Db, clear, group, uses, expiresAt, createdBy, now);
            // The token itself never enters the trail: its prefix names it, as 'token list' does.
            return audit.Record(unit, new AuditEntry(createdBy, AuditActions.TokenIssued, clear[..Math.Min(8, clear.Length)], Detail: $"group {group}, {uses} uses, until {expiresAt:O}"), now);
        });
        return new IssuedToken(clear, group, uses, expiresAt);
    }

    public void Import(UnitOfWork unit, string clearToken, string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now) =>
        Insert(unit.Db, clearToken, group, uses, expiresAt, createdBy, now);

    /// <summary>Inserts a token once; importing the same clear token again keeps its use count.</summary>
    private static int Insert(SQLiteConnection db, string clear, string group, int uses, DateTimeOffset expiresAt, string createdBy, DateTimeOffset now) =>
        db.Execute(
            """
            INSERT INTO enrollment_tokens (token_hash, token_prefix, group_name, uses_allowed, expires_at, created_at, created_by)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (token_hash) DO UPDATE SET uses_allowed = excluded.uses_allowed, expires_at = excluded.expires_at, group_name = excluded.group_name
            """,
            CanonicalHash.Sha256Hex(clear), clear[..Math.Min(8, clear.Length)], group, uses, expiresAt.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), createdBy);

    public IReadOnlyList<TokenSummary> ListTokens() =>
        storage.Read(db => db.Query<TokenRow>(TokenRow.Select + " ORDER BY created_at"))
            .Select(t => new TokenSummary(t.Prefix, t.GroupName, t.UsesAllowed, t.UsesCount, FromMs(t.ExpiresAt), FromMs(t.CreatedAt)))
            .ToList();

    public Outcome<UsableToken> Usable(UnitOfWork unit, string tokenHash, DateTimeOffset now)
    {
        var token = unit.Db.Query<TokenRow>(TokenRow.Select + " WHERE token_hash = ?", tokenHash).FirstOrDefault();
        if (token is null)
            return new Refusal(RefusalKind.Forbidden, UnknownTitle, "this site has no such enrollment token");
        if (token.ExpiresAt <= now.ToUnixTimeMilliseconds())
            return new Refusal(RefusalKind.Forbidden, ExpiredTitle, $"the enrollment token expired at {FromMs(token.ExpiresAt):O}");
        if (token.UsesCount >= token.UsesAllowed)
            return new Refusal(RefusalKind.Forbidden, UsedUpTitle, $"the enrollment token has been used {token.UsesCount} of {token.UsesAllowed} times");
        return new UsableToken(tokenHash, token.Prefix, token.GroupName);
    }

    public void Use(UnitOfWork unit, string tokenHash) =>
        unit.Db.Execute("UPDATE enrollment_tokens SET uses_count = uses_count + 1 WHERE token_hash = ?", tokenHash);

    /// <summary>
    /// From the hub: inserts the token by hash; a re-issue changes its allowance, expiry and group but never its use
    /// count. A token with no uses left to give can enroll nobody and is removed. A revocation removes it.
    /// </summary>
    public bool Apply(UnitOfWork unit, HubChange change)
    {
        var db = unit.Db;
        if (change.ChangeCase == HubChange.ChangeOneofCase.TokenRevoked)
            return db.Execute("DELETE FROM enrollment_tokens WHERE token_hash = ?", change.TokenRevoked.TokenHash) > 0;
        var token = change.TokenIssued;
        if (token.Uses == 0)
            return db.Execute("DELETE FROM enrollment_tokens WHERE token_hash = ?", token.TokenHash) > 0;
        db.Execute(
            """
            INSERT INTO enrollment_tokens (token_hash, token_prefix, group_name, uses_allowed, expires_at, created_at, created_by)
            VALUES (?, ?, ?, ?, ?, ?, 'hub')
            ON CONFLICT (token_hash) DO UPDATE SET uses_allowed = excluded.uses_allowed, expires_at = excluded.expires_at, group_name = excluded.group_name
            """,
            token.TokenHash, token.TokenPrefix, token.Group, (long)token.Uses, token.ExpiresUnixMs, change.AtUnixMs);
        return true;
    }

    private static DateTimeOffset FromMs(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    private sealed class TokenRow
    {
        public const string Select =
            "SELECT token_prefix AS Prefix, group_name AS GroupName, uses_allowed AS UsesAllowed, uses_count AS UsesCount, expires_at AS ExpiresAt, created_at AS CreatedAt FROM enrollment_tokens";

        public string Prefix { get; set; } = "";
        public string GroupName { get; set; } = "";
        public int UsesAllowed { get; set; }
        public int UsesCount { get; set; }
        public long ExpiresAt { get; set; }
        public long CreatedAt { get; set; }
    }
}
