using EdgeMdm.Edge.Mqtt;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.Sync;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Edge.Hosting;

/// <summary>The <c>serve</c> switches and the configuration keys they set (each feature reads its own options).</summary>
public static class CommandLineSwitches
{
    private const string Edge = EdgeOptions.Section;
    private const string Mqtt = MqttOptionsValidator.Section;

    public static readonly IReadOnlyDictionary<string, string> Mappings = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--data-dir"] = $"{Edge}:{nameof(EdgeOptions.DataDir)}",
        ["--seed"] = $"{Edge}:{nameof(EdgeOptions.SeedFile)}",
        ["--checkin-interval"] = $"{Edge}:{nameof(EdgeOptions.CheckinIntervalSeconds)}",
        ["--hub"] = $"{Edge}:{nameof(SyncOptions.HubUrl)}",
        ["--hub-ca"] = $"{Edge}:{nameof(SyncOptions.HubCaFile)}",
        ["--site-credential"] = $"{Edge}:{nameof(SyncOptions.SiteCredential)}",
        ["--site-credential-file"] = $"{Edge}:{nameof(SyncOptions.SiteCredentialFile)}",
        ["--sync-interval"] = $"{Edge}:{nameof(SyncOptions.SyncIntervalSeconds)}",
        ["--sync-retry-max"] = $"{Edge}:{nameof(SyncOptions.SyncRetryMaxSeconds)}",
        ["--sync-max-rate"] = $"{Edge}:{nameof(SyncOptions.SyncMaxChangesPerSecond)}",
        ["--package-cache-bytes"] = $"{Edge}:{nameof(PackageOptions.PackageCacheBytes)}",
        ["--package-fetch-rate"] = $"{Edge}:{nameof(PackageOptions.PackageFetchBytesPerSecond)}",
        ["--mqtt-listen"] = $"{Mqtt}:{nameof(MqttOptions.Listen)}",
        ["--mqtt-listen-plain"] = $"{Mqtt}:{nameof(MqttOptions.ListenPlain)}",
        ["--mqtt-url"] = $"{Mqtt}:{nameof(MqttOptions.AdvertisedUrl)}",
        ["--mqtt-external"] = $"{Mqtt}:{nameof(MqttOptions.External)}",
        ["--mqtt-external-user"] = $"{Mqtt}:{nameof(MqttOptions.ExternalUserName)}",
        ["--mqtt-external-password"] = $"{Mqtt}:{nameof(MqttOptions.ExternalPassword)}",
        ["--mqtt-external-credential-file"] = $"{Mqtt}:{nameof(MqttOptions.ExternalCredentialFile)}",
        ["--mqtt-external-password-file"] = $"{Mqtt}:{nameof(MqttOptions.ExternalPasswordFile)}",
        ["--mqtt-external-acl-file"] = $"{Mqtt}:{nameof(MqttOptions.ExternalAclFile)}",
        [ServerLogging.FormatSwitch] = ServerLogging.FormatKey,
    };
}
