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
}
