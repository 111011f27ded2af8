using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Packages;
using Google.Protobuf;

namespace EdgeMdm.Cloud.Packages;

internal sealed class SqlSigningKeyStore(IHubDatabase db, TimeProvider time, ISiteDirectory sites, IFeedWriter feed, SigningKeyProtection protection)
    : ISigningKeyStore
{
    public async Task<string> EnsureSigningKeyAsync(CancellationToken cancellationToken = default)
    {
        // Read first without a lock: after the first start (and the one that re-protected a clear key) this is all it ever does.
        await using (var read = await db.BeginAsync(write: false, cancellationToken))
        {
            if (await PackageRows.OldestKeyAsync(read) is { } existing && !await PackageRows.AnyClearKeyAsync(read))
                return protection.Unprotect(existing);
        }

        await using var s = await db.BeginAsync(write: true, cancellationToken);

        // The catalog lock makes replicas starting together queue here; the second one finds the first's key.
        // Holding it also keeps a site from being added between the key and the fan-out below.
        await db.LockCatalogAsync(s);
        if (await PackageRows.OldestKeyAsync(s) is { } created)
        {
            await ReprotectClearKeysAsync(s);
            await s.CommitAsync();
            return protection.Unprotect(created);
        }

        using var signer = ManifestSigner.CreateNew();
        var pem = signer.ExportPkcs8Pem();
        await s.ExecuteAsync(
            "INSERT INTO signing_keys (key_id, private_key_pem, created_at) VALUES (?, ?, ?)",
            signer.KeyId, protection.Protect(pem), time.GetUtcNow().ToUnixTimeMilliseconds());
        await feed.AppendToEachAsync(s, await sites.SiteIdsAsync(s, tenantId: null), PackageRows.SigningKeyChange(signer));
        await s.CommitAsync();
        return pem;
    }

    /// <summary>Keys a hub from before their protection stored as clear PEM, protected in place.</summary>
    private async Task ReprotectClearKeysAsync(HubSession s)
    {
        foreach (var row in await s.QueryAsync("SELECT key_id, private_key_pem FROM signing_keys"))
        {
            if (SigningKeyProtection.IsClear(row.Text(1)))
                await s.ExecuteAsync("UPDATE signing_keys SET private_key_pem = ? WHERE key_id = ?", protection.Protect(row.Text(1)), row.Text(0));
        }
    }

    public async Task<string> RotateFeedKeyAsync(CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await db.LockCatalogAsync(s);
        var current = await s.SingleOrDefaultAsync("SELECT private_key_pem, created_at FROM signing_keys ORDER BY created_at DESC, key_id DESC LIMIT 1")
            ?? throw new InvalidOperationException("the hub has no signing key yet: start it once (edgemdm-cloud serve) before rotating");
        using var previous = ManifestSigner.FromPkcs8Pem(protection.Unprotect(current.Text(0)));
        using var next = ManifestSigner.CreateNew();

        // Strictly newer than the key it replaces, whatever the clock says: "newest" is what signs.
        var createdAt = Math.Max(time.GetUtcNow().ToUnixTimeMilliseconds(), current.Long(1) + 1);
        await s.ExecuteAsync(
            "INSERT INTO signing_keys (key_id, private_key_pem, created_at) VALUES (?, ?, ?)", next.KeyId, protection.Protect(next.ExportPkcs8Pem()), createdAt);
        var rotation = new HubChange
        {
            HubKey = new HubKeyTrusted
            {
                PublicKeyPem = next.PublicKeyPem,
                KeyId = next.KeyId,
                PreviousKeyId = previous.KeyId,
                Endorsement = ByteString.CopyFrom(previous.SignBytes(FeedSignatures.EndorsementBytes(next.KeyId, next.PublicKeyPem))),
            },
        };
        await feed.AppendToEachAsync(s, await sites.SiteIdsAsync(s, tenantId: null), rotation);
        await s.CommitAsync();
        return next.KeyId;
    }
}
