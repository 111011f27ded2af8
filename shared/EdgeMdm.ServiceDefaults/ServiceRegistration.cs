using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeMdm.ServiceDefaults;

/// <summary>How a feature registers itself: its store once under every narrow interface it answers, and its endpoints.</summary>
public static class ServiceRegistration
{
    /// <summary>
    /// Registers <typeparamref name="TImplementation"/> once, as a singleton, and every type of
    /// <paramref name="servedAs"/> as that same instance: a feature's store answers for each narrow interface it
    /// declares, and consumers ask for the one they need.
    /// </summary>
    public static IServiceCollection AddSingletonServing<TImplementation>(this IServiceCollection services, params Type[] servedAs)
        where TImplementation : class
    {
        ArgumentNullException.ThrowIfNull(servedAs);
        services.AddSingleton<TImplementation>();
        foreach (var type in servedAs)
        {
            if (!type.IsAssignableFrom(typeof(TImplementation)))
                throw new ArgumentException($"{typeof(TImplementation).Name} is not a {type.Name}", nameof(servedAs));
            services.AddSingleton(type, sp => sp.GetRequiredService<TImplementation>());
        }

        return services;
    }

    /// <summary>
    /// Contributes endpoints without the host naming them: a feature registers its mapping beside its services, and the
    /// host maps every registered one with <see cref="MapFeatureEndpoints"/>. Adding a feature is a folder and one line
    /// in the host.
    /// </summary>
    public static IServiceCollection AddEndpoints(this IServiceCollection services, Action<IEndpointRouteBuilder> map) =>
        services.AddSingleton(new EndpointMapping(map));

    public static IEndpointRouteBuilder MapFeatureEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var mapping in app.ServiceProvider.GetServices<EndpointMapping>())
            mapping.Map(app);
        return app;
    }

    private sealed record EndpointMapping(Action<IEndpointRouteBuilder> Map);
}
