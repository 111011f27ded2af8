namespace EdgeMdm.Edge.Telemetry;

/// <summary>
/// The appliance's one meter. Each feature creates its instruments on it through <c>IMeterFactory</c>; the host exports
/// it at <c>/metrics</c> (Prometheus text) with ASP.NET Core's and the runtime's.
/// </summary>
public static class EdgeMetrics
{
    public const string MeterName = "EdgeMdm.Edge";

    /// <summary>
    /// Registers a feature's instruments: <typeparamref name="TMetrics"/> creates them in its constructor and is built when
    /// the appliance starts, so observable gauges (read at each scrape) exist before anything is counted.
    /// </summary>
    public static IServiceCollection AddFeatureMetrics<TMetrics>(this IServiceCollection services)
        where TMetrics : class
    {
        services.AddSingleton<TMetrics>();
        services.AddSingleton<IStartupMetrics>(sp => new StartupMetrics(sp.GetRequiredService<TMetrics>));
        if (!services.Any(d => d.ImplementationType == typeof(MetricsActivation)))
            services.AddHostedService<MetricsActivation>();
        return services;
    }

    private interface IStartupMetrics
    {
        void Create();
    }

    private sealed class StartupMetrics(Func<object> create) : IStartupMetrics
    {
        public void Create() => create();
    }

    private sealed class MetricsActivation(IEnumerable<IStartupMetrics> metrics) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            foreach (var instruments in metrics)
                instruments.Create();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
