namespace EdgeMdm.Edge.Storage;

public static class ServiceForwarding
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
}
