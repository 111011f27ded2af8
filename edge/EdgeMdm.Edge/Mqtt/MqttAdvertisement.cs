using System.Globalization;
using System.Net;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Telemetry;
using Microsoft.Extensions.Options;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>The broker address a device is told at enrollment.</summary>
public interface IBrokerAdvertisement
{
    /// <param name="requestHost">The host the device reached the appliance by (its HTTP Host), used when the broker listens on every address.</param>
    /// <returns>Null without MQTT.</returns>
    string? UrlFor(string requestHost);
}

internal sealed class MqttAdvertisement(IOptions<MqttOptions> options, IServiceProvider services) : IBrokerAdvertisement
{
    public string? UrlFor(string requestHost)
    {
        var mqtt = options.Value;
        if (mqtt.AdvertisedUrl is { } advertised)
            return advertised;
        if (mqtt.UsesExternal)
            return mqtt.ExternalTls ? mqtt.External : "mqtt://" + mqtt.External;
        // TLS listeners come first: a device is told the plain one only when the broker has no other.
        if (!mqtt.Embedded || services.GetService<EmbeddedMqttBroker>()?.Listeners is not [var (first, tls), ..])
            return null;
        var host = first.Address.Equals(IPAddress.Any) || first.Address.Equals(IPAddress.IPv6Any)
            ? requestHost
            : first.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + first.Address + "]" : first.Address.ToString();
        return (tls ? "mqtts://" : "mqtt://") + host + ":" + first.Port.ToString(CultureInfo.InvariantCulture);
    }
}

public static class MqttRegistration
{
    /// <summary>The embedded broker or the external client, the wake dispatcher and the counters; without MQTT a no-op waker.</summary>
    public static IServiceCollection AddMqtt(this IServiceCollection services, IConfiguration configuration)
    {
        var mqtt = configuration.GetSection(MqttOptionsValidator.Section).Get<MqttOptions>() ?? new MqttOptions();
        services.AddValidatedOptions<MqttOptions, MqttOptionsValidator>(MqttOptionsValidator.Section);
        services.AddSingleton<IPostConfigureOptions<MqttOptions>, ExternalCredentialFileReader>();
        services.AddFeatureMetrics<MqttCounters>();
        services.AddSingleton<IBrokerAdvertisement, MqttAdvertisement>();
        services.AddSingletonServing<MqttClientStore>(typeof(IMqttClientAdmin), typeof(IMqttClients));
        if (mqtt.Embedded)
        {
            services.AddSingleton<EmbeddedMqttBroker>();
            services.AddSingleton<IDeviceWaker>(sp => sp.GetRequiredService<EmbeddedMqttBroker>());
            services.AddSingleton<ICradleCommands>(sp => sp.GetRequiredService<EmbeddedMqttBroker>());
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedMqttBroker>());
        }
        else if (mqtt.UsesExternal)
        {
            services.AddSingleton<IDeviceWaker, ExternalBrokerWaker>();
            if (mqtt.ExternalPasswordFile is not null)
                services.AddHostedService<MosquittoFilesWriter>();
        }
        else
        {
            services.AddSingleton<IDeviceWaker, NoDeviceWaker>();
        }

        services.AddHostedService<WakeDispatcher>();
        return services;
    }
}
