using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Options;

public static class OptionsRegistration
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to a configuration section and checks it with <typeparamref name="TValidator"/>
    /// when the host starts (an operator command checks it on first use): a bad value stops the process with one line
    /// naming the setting.
    /// </summary>
    public static IServiceCollection AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return services;
    }

    /// <summary>The site-wide settings (<see cref="EdgeOptions"/>).</summary>
    public static IServiceCollection AddEdgeOptions(this IServiceCollection services) =>
        services.AddValidatedOptions<EdgeOptions, EdgeOptionsValidator>(EdgeOptions.Section);
}
