namespace EdgeMdm.Cloud.Catalog;

public static class CatalogServices
{
    public static IServiceCollection AddCatalog(this IServiceCollection services) => services
        .AddSingleton<IBlueprintStore, SqlBlueprintStore>()
        .AddSingleton<IBlueprintSeed, SqlBlueprintSeed>();
}
