namespace EdgeMdm.Edge.Web;

/// <summary>
/// How a feature contributes HTTP endpoints without the host naming them: it registers a mapping with
/// <see cref="AddEndpoints"/> beside its services, and the host maps every registered one with
/// <see cref="MapFeatureEndpoints"/>. Adding a feature is a folder and one line in the host.
/// </summary>
public static class FeatureEndpoints
{
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
