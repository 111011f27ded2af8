namespace EdgeMdm.Cloud.Catalog;

public static class CatalogServices
{
    public static IServiceCollection AddCatalog(this IServiceCollection services) => services
        .AddSingleton<BlueprintProtection>()
        .AddSingleton<BlueprintReprotection>()
        .AddSingleton<IBlueprintStore, SqlBlueprintStore>()
        .AddSingleton<IBlueprintSeed, SqlBlueprintSeed>();

    /// <summary>
    /// Protects what an older hub stored in clear (<see cref="BlueprintReprotection"/>): the hub calls this once it is
    /// built, before it serves.
    /// </summary>
    public static async Task StartCatalogAsync(this IServiceProvider services, CancellationToken cancellationToken = default) =>
        await services.GetRequiredService<BlueprintReprotection>().ReprotectAsync(cancellationToken);
}
