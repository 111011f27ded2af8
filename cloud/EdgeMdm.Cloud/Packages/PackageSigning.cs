using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Packages;

/// <summary>The hub's manifest signer, loaded once at start from the key the store keeps (<see cref="ISigningKeyStore"/>).</summary>
internal sealed class PackageSigning(ISigningKeyStore keys) : IDisposable
{
    private ManifestSigner? _signer;

    public ManifestSigner Signer => _signer ?? throw new InvalidOperationException("the signing key is loaded at start (PackageServices.StartPackagesAsync)");

    /// <summary>
    /// Creates the key on the very first start (once, even with replicas starting together) and reads it back
    /// on every later one.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var signer = ManifestSigner.FromPkcs8Pem(await keys.EnsureSigningKeyAsync(cancellationToken));
        Interlocked.Exchange(ref _signer, signer)?.Dispose();
    }

    public void Dispose() => _signer?.Dispose();
}
