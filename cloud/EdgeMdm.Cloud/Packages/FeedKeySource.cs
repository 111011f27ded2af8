using System.Collections.Concurrent;
using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Packages;

/// <summary>
/// The hub's newest signing key, which signs feed changes (packages stay signed by the first key: agents pin it).
/// The id is read on every append (one indexed row); the private key is unprotected and parsed once per id.
/// </summary>
internal sealed class FeedKeySource(SigningKeyProtection protection) : Sync.IFeedKeySource, IDisposable
{
    private readonly ConcurrentDictionary<string, ManifestSigner> _signers = new(StringComparer.Ordinal);

    public async Task<ManifestSigner?> CurrentAsync(HubSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var newest = await session.SingleOrDefaultAsync("SELECT key_id FROM signing_keys ORDER BY created_at DESC, key_id DESC LIMIT 1");
        if (newest is null)
            return null;
        if (_signers.TryGetValue(newest.Text(0), out var known))
            return known;
        var pem = (await session.SingleOrDefaultAsync("SELECT private_key_pem FROM signing_keys WHERE key_id = ?", newest.Text(0)))!.Text(0);
        var signer = ManifestSigner.FromPkcs8Pem(protection.Unprotect(pem));
        if (!string.Equals(signer.KeyId, newest.Text(0), StringComparison.Ordinal))
        {
            signer.Dispose();
            throw new InvalidOperationException($"the signing_keys row '{newest.Text(0)}' holds another key ({signer.KeyId}): refusing to sign with it");
        }

        if (_signers.TryAdd(signer.KeyId, signer))
            return signer;
        signer.Dispose();
        return _signers[newest.Text(0)];
    }

    public void Dispose()
    {
        foreach (var signer in _signers.Values)
            signer.Dispose();
    }
}
