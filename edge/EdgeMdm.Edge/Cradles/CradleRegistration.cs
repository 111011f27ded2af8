namespace EdgeMdm.Edge.Cradles;

public static class CradleRegistration
{
    // Issue 25 placeholder while the feature is built on its branch: no cradle is known yet.
    public static IServiceCollection AddCradles(this IServiceCollection services) =>
        services.AddSingleton<ICradleFloor, NoCradles>();

    private sealed class NoCradles : ICradleFloor
    {
        public IReadOnlyList<CradleView> Cradles() => [];

        public SlotView? SlotOf(string serial) => null;

        public Task<SlotView?> PickAsync(string serial, CancellationToken cancellationToken) => Task.FromResult<SlotView?>(null);

        public Task ClearPickAsync(string serial, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
