using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Packages;

public static class PackageServices
{
    public static IServiceCollection AddPackages(this IServiceCollection services) => services
        .AddSingleton<SigningKeyProtection>()
        .AddSingleton<ISigningKeyStore, SqlSigningKeyStore>()
        .AddSingleton<IPackageStore, SqlPackageStore>()
        .AddSingleton<IPackageSeed, SqlPackageSeed>()
        .AddSingleton<PackageSigning>()
        .AddSingleton<Sync.IFeedKeySource, FeedKeySource>()
        .AddSingleton<IBlobStore>(sp => new DirectoryBlobStore(HubOptions.BlobDirectoryFor(sp.GetRequiredService<IOptions<HubOptions>>().Value)));

    /// <summary>
    /// Makes the signing key and the blob directory exist before the first request: the hub calls this once it is
    /// built, before it serves.
    /// </summary>
    public static async Task StartPackagesAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await services.GetRequiredService<PackageSigning>().LoadAsync(cancellationToken);
        services.GetRequiredService<IBlobStore>();
    }
}
