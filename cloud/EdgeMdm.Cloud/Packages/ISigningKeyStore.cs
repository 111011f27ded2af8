namespace EdgeMdm.Cloud.Packages;

/// <summary>The hub's package signing key: one for the whole hub, shared by every replica through the database.</summary>
public interface ISigningKeyStore
{
    /// <summary>
    /// The signing key as PKCS#8 PEM, created on the first call. Creation holds the catalog lock, so replicas
    /// starting together create one key between them; it appends <c>PackageSigningKey</c> to every site's feed
    /// in the same transaction (sites registered before the key existed learn it that way). The database holds the key
    /// only protected with the hub's key ring (<see cref="SigningKeyProtection"/>); a clear key an older hub stored is
    /// protected in place by the first call that finds it.
    /// </summary>
    Task<string> EnsureSigningKeyAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes a new key the one that signs every site's feed from now on, endorsed by the current one
    /// (<c>HubKeyTrusted</c> with the previous key's signature, appended to every site's feed in the same
    /// transaction): a site accepts it because it trusts the key it replaces, and refuses the replaced key's
    /// signatures afterwards. Package manifests stay signed by the first key (agents pin it). Returns the new key's
    /// id; throws <see cref="InvalidOperationException"/> before the hub's first start made a key.
    /// </summary>
    Task<string> RotateFeedKeyAsync(CancellationToken cancellationToken = default);
}
