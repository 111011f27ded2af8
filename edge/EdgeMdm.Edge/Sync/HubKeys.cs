using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Domain.Staging;
using EdgeMdm.Edge.Storage;
using SQLite;

namespace EdgeMdm.Edge.Sync;

/// <summary>A hub key the appliance trusts or once trusted (<c>hub_keys</c>).</summary>
public sealed record TrustedHubKey(string KeyId, DateTimeOffset TrustedAt, DateTimeOffset? RetiredAt);

/// <summary>The hub keys this appliance trusts to sign its feed, for operators (<c>sync status</c>).</summary>
public interface IHubKeys
{
    /// <summary>Every key trusted so far, the current one (not retired) first; empty before the feed's anchor arrived.</summary>
    IReadOnlyList<TrustedHubKey> Keys();
}

/// <summary>
/// Decides whether a feed change may be applied (TUF's lesson: trust comes only from keys already trusted) and keeps
/// the trusted keys (<c>hub_keys</c>). Every change must carry the signature of the current key over its canonical bytes
/// (<see cref="FeedSignatures.CanonicalBytes"/>), signed for this site. The first key is the anchor the first change
/// carries (<see cref="HubChange.Anchor"/>), trusted by an appliance that trusts no key yet because it came over the
/// authenticated sync channel; a rotation (<see cref="HubKeyTrusted"/>) is accepted only when endorsed by the current
/// key, which it retires.
/// </summary>
internal sealed class HubKeys(EdgeStorage storage) : IHubKeys, IFeedHandler
{
    public IReadOnlyCollection<HubChange.ChangeOneofCase> Kinds { get; } = [HubChange.ChangeOneofCase.HubKey];

    public IReadOnlyList<TrustedHubKey> Keys() =>
        storage.Read(db => db.Query<KeyRow>("SELECT key_id AS KeyId, public_key_pem AS Pem, trusted_at AS TrustedAt, retired_at AS RetiredAt FROM hub_keys ORDER BY retired_at IS NOT NULL, trusted_at DESC"))
            .Select(k => new TrustedHubKey(k.KeyId, DateTimeOffset.FromUnixTimeMilliseconds(k.TrustedAt), k.RetiredAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null))
            .ToList();

    /// <summary>
    /// Why <paramref name="change"/> must not be applied, in words for an operator; null when it verifies. An appliance
    /// that trusts no key yet trusts the anchor the change carries (the first change it gets), in
    /// <paramref name="unit"/>, once the change verifies with it.
    /// </summary>
    public static string? Admit(UnitOfWork unit, HubChange change)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(change);
        if (change.Signature.IsEmpty || change.KeyId.Length == 0)
            return "it is not signed";
        var site = unit.Db.ExecuteScalar<string?>("SELECT site_id FROM site WHERE id = 1");
        if (site is not null && !string.Equals(change.SiteId, site, StringComparison.Ordinal))
            return $"it was signed for site '{change.SiteId}', this appliance is site '{site}'";
        if (Current(unit.Db) is null)
        {
            if (change.Anchor is not { PreviousKeyId.Length: 0 } anchor)
                return "no hub key is trusted yet and the change carries no anchor";
            if (KeyRefusal(anchor, change) is { } refusal)
                return refusal;
            Trust(unit.Db, anchor, change.AtUnixMs);
        }

        if (change.ChangeCase == HubChange.ChangeOneofCase.HubKey)
            return RotationRefusal(unit.Db, change);

        var current = Current(unit.Db)!;
        if (!string.Equals(change.KeyId, current.KeyId, StringComparison.Ordinal))
        {
            var retired = unit.Db.ExecuteScalar<int>("SELECT count(*) FROM hub_keys WHERE key_id = ?", change.KeyId) > 0;
            return $"it is signed by {(retired ? "the retired" : "an unknown")} key {Short(change.KeyId)}; the trusted key is {Short(current.KeyId)}";
        }

        if (!SignedBy(ManifestVerifier.FromPem(current.Pem), change))
            return $"its signature by key {Short(change.KeyId)} does not match its content (changed after it was signed)";
        return change.ChangeCase switch
        {
            HubChange.ChangeOneofCase.StagingPlanUpserted => PlanRefusal(change.StagingPlanUpserted),
            HubChange.ChangeOneofCase.BlueprintUpserted when !FeedSignatures.BlueprintMatchesItsHash(change.BlueprintUpserted) =>
                $"blueprint of group '{change.BlueprintUpserted.Group}' does not match its signed content hash",
            _ => null,
        };
    }

    public bool Apply(UnitOfWork unit, HubChange change)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(change);
        if (Current(unit.Db) is { } current && string.Equals(current.KeyId, change.HubKey.KeyId, StringComparison.Ordinal))
            return false;
        Trust(unit.Db, change.HubKey, change.AtUnixMs);
        return true;
    }

    /// <summary>Makes <paramref name="key"/> the current key, retiring the one before.</summary>
    private static void Trust(SQLiteConnection db, HubKeyTrusted key, long atMs)
    {
        db.Execute("UPDATE hub_keys SET retired_at = ? WHERE retired_at IS NULL", atMs);
        db.Execute(
            "INSERT INTO hub_keys (key_id, public_key_pem, trusted_at, retired_at) VALUES (?, ?, ?, NULL) ON CONFLICT (key_id) DO UPDATE SET retired_at = NULL",
            key.KeyId, key.PublicKeyPem, atMs);
    }

    /// <summary>Whether the key is a usable P-256 key named by its id and the key that signed <paramref name="change"/>.</summary>
    private static string? KeyRefusal(HubKeyTrusted key, HubChange change)
    {
        ManifestVerifier announced;
        try
        {
            announced = ManifestVerifier.FromPem(key.PublicKeyPem);
        }
        catch (ArgumentException exception)
        {
            return "the hub key it announces is not usable: " + exception.Message;
        }

        if (!string.Equals(announced.KeyId, key.KeyId, StringComparison.Ordinal) || !string.Equals(change.KeyId, key.KeyId, StringComparison.Ordinal))
            return $"the hub key it announces ({Short(key.KeyId)}) is not the key it names or the key that signed it";
        return SignedBy(announced, change) ? null : $"its signature by key {Short(change.KeyId)} does not match its content";
    }

    /// <summary>
    /// A rotation is accepted only when its previous key is the current one and endorsed it (or when it names the current
    /// key again: a rotation that reached a new feed, whose anchor is that key already).
    /// </summary>
    private static string? RotationRefusal(SQLiteConnection db, HubChange change)
    {
        var key = change.HubKey;
        if (KeyRefusal(key, change) is { } refusal)
            return refusal;
        var current = Current(db)!;
        if (string.Equals(current.KeyId, key.KeyId, StringComparison.Ordinal))
            return null;
        if (key.PreviousKeyId.Length == 0)
            return $"it announces key {Short(key.KeyId)} without the endorsement of the trusted key {Short(current.KeyId)}";
        if (!string.Equals(key.PreviousKeyId, current.KeyId, StringComparison.Ordinal))
            return $"it rotates from key {Short(key.PreviousKeyId)}, which is not the trusted key {Short(current.KeyId)}";
        return ManifestVerifier.FromPem(current.Pem).VerifyBytes(FeedSignatures.EndorsementBytes(key.KeyId, key.PublicKeyPem), key.Endorsement.Span)
            ? null
            : $"the endorsement of key {Short(key.KeyId)} is not the trusted key's signature";
    }

    /// <summary>The plan's JSON travels outside the signature; its signed content hash must match it.</summary>
    private static string? PlanRefusal(StagingPlanUpserted upserted)
    {
        try
        {
            var plan = StagingPlanJson.DeserializeClear(upserted.PlanJson) with { Name = upserted.Name };
            return string.Equals(plan.ContentHash(), upserted.PlanHash, StringComparison.Ordinal)
                ? null
                : $"staging plan '{upserted.Name}' does not match its signed content hash";
        }
        catch (System.Text.Json.JsonException exception)
        {
            return $"staging plan '{upserted.Name}' is not valid JSON: {exception.Message}";
        }
    }

    private static bool SignedBy(ManifestVerifier key, HubChange change) => key.VerifyBytes(FeedSignatures.CanonicalBytes(change), change.Signature.Span);

    private static KeyRow? Current(SQLiteConnection db) =>
        db.Query<KeyRow>("SELECT key_id AS KeyId, public_key_pem AS Pem FROM hub_keys WHERE retired_at IS NULL").FirstOrDefault();

    private static string Short(string keyId) => keyId.Length > 16 ? keyId[..16] : keyId;

    private sealed class KeyRow
    {
        public string KeyId { get; set; } = "";
        public string Pem { get; set; } = "";
        public long TrustedAt { get; set; }
        public long? RetiredAt { get; set; }
    }
}

/// <summary>
/// A feed change that did not verify (<see cref="HubKeys.Admit"/>): the changes before it are applied, the feed
/// position stays just before it, and sync stops there until the hub sends something that verifies.
/// </summary>
public sealed class FeedRefusedException(ulong position, string kind, string reason)
    : Exception($"the hub's feed change {position} ({kind}) was refused: {reason}")
{
    public ulong Position { get; } = position;

    public string Reason { get; } = reason;
}
