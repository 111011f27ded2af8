using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// The key that signs feed changes as they are appended (<see cref="IFeedWriter"/>): the hub's newest signing key.
/// Declared here, kept by Packages/ (the hub's signing keys live with the package catalog's).
/// </summary>
internal interface IFeedKeySource
{
    /// <summary>
    /// The newest key as <paramref name="session"/> sees it, or null before the hub's first start made one. Read after
    /// the site's row lock is taken, so a rotation committed by another replica in the meantime is seen.
    /// </summary>
    Task<ManifestSigner?> CurrentAsync(HubSession session);
}
