using EdgeMdm.Domain.Chains;

namespace EdgeMdm.Domain.Audit;

/// <summary>
/// A change as its maker states it, before it takes its place in the audit chain: who made it (<c>supervisor:ana</c>,
/// <c>hub</c>, <c>appliance</c>), what (<see cref="AuditActions"/>), the subject it is about (a device id, a user, a
/// token's prefix), from where (an address, <c>cli</c>, <c>feed</c>), and a short detail (the reason, the new state).
/// Never a secret: a token or password is named by a prefix or not at all.
/// </summary>
public sealed record AuditEntry(string Actor, string Action, string Subject, string Source = "", string Detail = "");

/// <summary>
/// One record of an audit chain: <see cref="Chain"/> names the chain (<c>site</c> at a site; at the hub
/// <c>tenant:{id}</c> for its own changes, <c>site:{id}</c> for a site's), <see cref="Index"/> its 0-based place,
/// <see cref="PreviousHash"/> the hash of the record before (empty for the first), <see cref="Hash"/> its own
/// (<see cref="AuditChain.HashOf"/>). The time is part of the hash, to the millisecond.
/// </summary>
public sealed record AuditRecord(
    string Chain,
    long Index,
    DateTimeOffset At,
    string Actor,
    string Action,
    string Subject,
    string Source,
    string Detail,
    string PreviousHash,
    string Hash) : IChainLink<AuditRecord>
{
    public static string HashOf(AuditRecord link) => AuditChain.HashOf(link);

    public AuditRecord AtIndex(long index) => this with { Index = index };
}

/// <summary>The audit hash chain, the same at the site and at the hub.</summary>
public static class AuditChain
{
    /// <summary>Longest text kept of a field; longer is cut, so that one caller cannot bloat the trail.</summary>
    public const int MaxFieldLength = 1000;

    /// <summary>The record that follows <paramref name="previous"/> (null: the chain's first) in <paramref name="chain"/>.</summary>
    public static AuditRecord Next(string chain, AuditRecord? previous, AuditEntry entry, DateTimeOffset at) =>
        Next(previous is null ? null : new ChainHead(chain, previous.Index, previous.Hash), chain, entry, at);

    /// <summary>The record that follows <paramref name="head"/> (null: the chain's first) in <paramref name="chain"/>.</summary>
    public static AuditRecord Next(ChainHead? head, string chain, AuditEntry entry, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(entry);
        // The chain stores milliseconds; a record hashed with finer time would not verify once read back.
        var atMs = DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());
        var draft = new AuditRecord(
            chain, head is null ? 0 : head.Index + 1, atMs, Cut(entry.Actor), Cut(entry.Action), Cut(entry.Subject),
            Cut(entry.Source), Cut(entry.Detail), head?.Hash ?? "", Hash: "");
        return draft with { Hash = HashOf(draft) };
    }

    /// <summary>
    /// SHA-256 (lowercase hex) of the record's canonical form; <see cref="AuditRecord.Hash"/> is not part of it, nor is
    /// the chain's name: that says where a chain is kept (the site's own <c>site</c> is <c>site:{id}</c> at the hub),
    /// and each record is bound to its chain by the previous hash it holds.
    /// </summary>
    public static string HashOf(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new ChainCanonical()
            .Field("audit-v1")
            .Field(record.Index)
            .Field(record.At.ToUnixTimeMilliseconds())
            .Field(record.Actor)
            .Field(record.Action)
            .Field(record.Subject)
            .Field(record.Source)
            .Field(record.Detail)
            .Field(record.PreviousHash)
            .Sha256();
    }

    /// <summary>Verifies the chains in <paramref name="stored"/> (stored order), against <paramref name="heads"/> when given.</summary>
    public static ChainVerification Verify(IEnumerable<AuditRecord> stored, IEnumerable<ChainHead>? heads = null) =>
        ChainVerifier.VerifyAll(stored, heads);

    /// <summary>A problem as one line: <c>site record 12: edited (its hash does not match its content)</c>.</summary>
    public static string Describe(ChainProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return $"{problem.Chain} record {problem.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)}: " +
               $"{problem.Kind.ToString().ToLowerInvariant()} ({problem.Detail})";
    }

    private static string Cut(string? text) =>
        text is null ? "" : text.Length <= MaxFieldLength ? text : text[..MaxFieldLength];
}

/// <summary>The actions the trail names, the same words at the site and at the hub.</summary>
public static class AuditActions
{
    public const string SignIn = "sign-in";
    public const string SignInFailed = "sign-in.failed";
    public const string TokenIssued = "token.issued";
    public const string TokenRevoked = "token.revoked";
    public const string CommandQueued = "command.queued";
    public const string StateChanged = "device.state";
    public const string Swap = "swap.confirmed";
    public const string Custody = "custody";
    public const string BlueprintApplied = "blueprint.applied";
    public const string BlueprintDeleted = "blueprint.deleted";
    public const string UserChanged = "user.changed";
    public const string UserRemoved = "user.removed";
    public const string SparePool = "spares.changed";
    public const string AlertAcknowledged = "alert.acknowledged";
    public const string AccountChanged = "account.changed";
    public const string AdminToken = "admin-token.issued";
    public const string SiteAdded = "site.added";
    public const string Package = "package.published";
    public const string Rollout = "rollout.changed";
    public const string ApprovalRequested = "approval.requested";
    public const string ApprovalGranted = "approval.granted";
}
