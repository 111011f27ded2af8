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
        var position = await NextPositionAsync(session, siteId);
        var signer = await keys.CurrentAsync(session);
        if (position == 1 && signer is not null)
        {
            // Every feed opens with the key that signs it: the appliance's trust anchor, whatever the first change is.
            var anchor = new HubChange { HubKey = new HubKeyTrusted { PublicKeyPem = signer.PublicKeyPem, KeyId = signer.KeyId } };
            await InsertAsync(session, siteId, position, anchor, signer);
            if (change.ChangeCase == HubChange.ChangeOneofCase.HubKey)
                return position; // a rotation reaching an empty feed: the anchor already names the new key
            position = await NextPositionAsync(session, siteId);
        }

        await InsertAsync(session, siteId, position, change, signer);
        return position;
    }

    public async Task AppendToEachAsync(HubSession session, IEnumerable<string> siteIds, HubChange change)
    {
        ArgumentNullException.ThrowIfNull(siteIds);
        foreach (var siteId in siteIds)
            await AppendAsync(session, siteId, change);
    }

    /// <summary>Increments the site's feed_head, which locks the site's row until commit.</summary>
    private static async Task<ulong> NextPositionAsync(HubSession session, string siteId) =>
        (await session.SingleOrDefaultAsync("UPDATE sites SET feed_head = feed_head + 1 WHERE site_id = ? RETURNING feed_head", siteId)
            ?? throw new StoreConflictException($"unknown site '{siteId}'")).ULong(0);

    /// <summary>Stores the change at <paramref name="position"/>, signed by <paramref name="signer"/> (unsigned only before the hub made its first key).</summary>
    private async Task InsertAsync(HubSession session, string siteId, ulong position, HubChange change, Domain.Packages.ManifestSigner? signer)
    {
        var stored = change.Clone();
        stored.Position = position;
        stored.SiteId = siteId;
        if (stored.AtUnixMs == 0)
            stored.AtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (signer is not null)
        {
            stored.KeyId = signer.KeyId;
            stored.Signature = ByteString.CopyFrom(signer.SignBytes(FeedSignatures.CanonicalBytes(stored)));
        }

        await session.ExecuteAsync("INSERT INTO feed (site_id, position, at, change) VALUES (?, ?, ?, ?)", siteId, stored.Position, stored.AtUnixMs, stored.ToByteArray());
    }
}
