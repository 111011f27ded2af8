namespace EdgeMdm.Edge.Spares;

public static class SpareRegistration
{
    // Issue 25 placeholder while the feature is built on its branch: no pool is defined yet.
    public static IServiceCollection AddSpares(this IServiceCollection services) =>
        services.AddSingleton<ISparePools, NoPools>();

    private sealed class NoPools : ISparePools
    {
        public IReadOnlyList<SparePoolStatus> Pools() => [];
    }
}
