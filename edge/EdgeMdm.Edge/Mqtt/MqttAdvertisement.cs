using System.Globalization;
using System.Net;
using EdgeMdm.Edge.Options;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>The broker address a device is told at enrollment; null without MQTT.</summary>
internal sealed class MqttAdvertisement(IOptions<EdgeOptions> options, IServiceProvider services)
{
    /// <param name="requestHost">The host the device reached the appliance by (its HTTP Host), used when the broker listens on every address.</param>
    public string? UrlFor(string requestHost)
    {
        var mqtt = options.Value.Mqtt;
        if (mqtt.AdvertisedUrl is { } advertised)
            return advertised;
        if (mqtt.UsesExternal)
            return "mqtt://" + mqtt.External;
        if (!mqtt.Embedded || services.GetService<EmbeddedMqttBroker>()?.BoundEndPoints is not [var first, ..])
            return null;
        var host = first.Address.Equals(IPAddress.Any) || first.Address.Equals(IPAddress.IPv6Any)
            ? requestHost
            : first.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "[" + first.Address + "]" : first.Address.ToString();
        return "mqtt://" + host + ":" + first.Port.ToString(CultureInfo.InvariantCulture);
    }
}

internal static class MqttRegistration
{
    /// <summary>The embedded broker or the external client, the wake dispatcher and the counters; without MQTT a no-op waker.</summary>
    public static IServiceCollection AddMqtt(this IServiceCollection services, IConfiguration configuration)
    {
        var mqtt = configuration.GetSection(EdgeOptions.Section + ":" + nameof(EdgeOptions.Mqtt)).Get<MqttOptions>() ?? new MqttOptions();
        services.AddSingleton<MqttCounters>();
        services.AddSingleton<MqttAdvertisement>();
        services.AddSingleton<Storage.IMqttCredentialStore>(sp => sp.GetRequiredService<Storage.SqliteEdgeStore>());
        services.AddSingleton<Storage.IDeviceWakes>(sp => sp.GetRequiredService<Storage.SqliteEdgeStore>());
        services.AddSingleton<Storage.IMqttStatsStore>(sp => sp.GetRequiredService<Storage.SqliteEdgeStore>());
        if (mqtt.Embedded)
        {
            services.AddSingleton<EmbeddedMqttBroker>();
            services.AddSingleton<IDeviceWaker>(sp => sp.GetRequiredService<EmbeddedMqttBroker>());
            services.AddHostedService(sp => sp.GetRequiredService<EmbeddedMqttBroker>());
        }
        else if (mqtt.UsesExternal)
        {
            services.AddSingleton<IDeviceWaker, ExternalBrokerWaker>();
            services.AddSingleton<Storage.IBrokerAccounts>(sp => sp.GetRequiredService<Storage.SqliteEdgeStore>());
            if (mqtt.ExternalPasswordFile is not null)
                services.AddHostedService<MosquittoFilesWriter>();
        }
        else
        {
            services.AddSingleton<IDeviceWaker, NoDeviceWaker>();
        }

        services.AddHostedService<WakeDispatcher>();
        if (mqtt.Embedded || mqtt.UsesExternal)
            services.AddHostedService<MqttStatsWriter>();
        return services;
    }
}
