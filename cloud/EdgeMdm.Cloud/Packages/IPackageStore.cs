using EdgeMdm.Domain.Packages;

namespace EdgeMdm.Cloud.Packages;

/// <summary>
/// Each tenant's signed package manifests (the files are in the blob directory, see <see cref="IBlobStore"/>).
/// A package of another tenant is treated as one that does not exist.
/// </summary>
public interface IPackageStore
{
    /// <summary>
    /// Records a signed manifest for the tenant and appends <c>PackagePublished</c> to every site of the tenant,
    /// in one transaction under the catalog lock. The same bytes (sha256) under the same package name and version
    /// code are <see cref="PublishResult.AlreadyPublished"/> (nothing changes, the stored manifest is returned); the
    /// same bytes as another version, or the same version with other bytes, are <see cref="PublishResult.Conflict"/>
    /// with the package in the way. An unknown tenant throws <see cref="Storage.StoreConflictException"/>.
    /// </summary>
    Task<PublishOutcome> PublishPackageAsync(string tenantId, SignedManifest manifest, string keyId, CancellationToken cancellationToken = default);

    /// <summary>The tenant's packages (of one package name when given), by name then version code.</summary>
    Task<IReadOnlyList<PublishedPackage>> ListPackagesAsync(string tenantId, string? packageName = null, CancellationToken cancellationToken = default);

    /// <summary>The tenant's package with these bytes, or null.</summary>
    Task<PublishedPackage?> FindPackageAsync(string tenantId, string sha256, CancellationToken cancellationToken = default);

    /// <summary>The tenant's package with this name and version code, or null.</summary>
    Task<PublishedPackage?> FindPackageVersionAsync(string tenantId, string packageName, long versionCode, CancellationToken cancellationToken = default);

    /// <summary>The size of the blob when it is a package of the site's tenant (what a site may fetch); null otherwise.</summary>
    Task<long?> PackageSizeForSiteAsync(string siteId, string sha256, CancellationToken cancellationToken = default);
}

/// <summary>A manifest as the hub published it: signed by the key <paramref name="KeyId"/>.</summary>
public sealed record PublishedPackage(PackageManifest Manifest, string Signature, string KeyId)
{
    public SignedManifest ToSignedManifest() => new(Manifest, Signature);
}

public enum PublishResult
{
    Created,
    AlreadyPublished,
    Conflict,
}

/// <summary>What a publish did; <paramref name="Package"/> is the new one, the one already stored, or the one in the way.</summary>
public sealed record PublishOutcome(PublishResult Result, PublishedPackage Package);
