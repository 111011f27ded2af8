using EdgeMdm.Contracts.Sync;
using Google.Protobuf;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// Numbers, signs and stores feed changes. Each stored change carries its site, position, time and the signature of
/// the hub's current key over them (<see cref="FeedSignatures.CanonicalBytes"/>): what the feed table holds is what
/// the site will verify, so a row edited in the database afterwards is refused by the site.
/// </summary>
internal sealed class SqlFeedWriter(TimeProvider time, IFeedKeySource keys) : IFeedWriter
{
    public async Task<ulong> AppendAsync(HubSession session, string siteId, HubChange change)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(change);
        var head = await session.SingleOrDefaultAsync("UPDATE sites SET feed_head = feed_head + 1 WHERE site_id = ? RETURNING feed_head", siteId)
            ?? throw new StoreConflictException($"unknown site '{siteId}'");
        var stored = change.Clone();
        stored.Position = head.ULong(0);
        stored.SiteId = siteId;
        if (stored.AtUnixMs == 0)
            stored.AtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds();

        // Read after the site's row lock: a rotation another replica committed meanwhile is seen. Null only before the
        // hub's first start made its key (then the change stays unsigned, and a site refuses it).
        if (await keys.CurrentAsync(session) is { } signer)
        {
            // Every change names the key that signs it: the trust anchor of an appliance that trusts no key yet, whichever
            // change it gets first (position 1 for a new site; the first change after the upgrade that brought signing
            // for a site whose earlier feed was unsigned). An appliance that trusts a key ignores it.
            stored.Anchor = new HubKeyTrusted { PublicKeyPem = signer.PublicKeyPem, KeyId = signer.KeyId };
            stored.KeyId = signer.KeyId;
            stored.Signature = ByteString.CopyFrom(signer.SignBytes(FeedSignatures.CanonicalBytes(stored)));
        }

        await session.ExecuteAsync("INSERT INTO feed (site_id, position, at, change) VALUES (?, ?, ?, ?)", siteId, stored.Position, stored.AtUnixMs, stored.ToByteArray());
        return stored.Position;
    }

    public async Task AppendToEachAsync(HubSession session, IEnumerable<string> siteIds, HubChange change)
    {
        ArgumentNullException.ThrowIfNull(siteIds);
        foreach (var siteId in siteIds)
            await AppendAsync(session, siteId, change);
    }
}
