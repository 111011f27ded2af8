using System.Text.Json.Serialization;

namespace EdgeMdm.Domain.Staging;

/// <summary>
/// One step of a <see cref="StagingPlan"/>. <see cref="Id"/> names it in progress reports and retries and is
/// unique in its plan; when a plan does not give one it is the step's <see cref="Kind"/> (so a plan with one
/// Wi-Fi step calls it "wifi"). The JSON form carries the kind as <c>kind</c> ("wifi", "managedConfig", ...).
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(EnrollStep), StagingStepKinds.Enroll)]
[JsonDerivedType(typeof(ManagedConfigStep), StagingStepKinds.ManagedConfig)]
[JsonDerivedType(typeof(InstallAppsStep), StagingStepKinds.InstallApps)]
[JsonDerivedType(typeof(WifiStep), StagingStepKinds.Wifi)]
[JsonDerivedType(typeof(PairPeripheralStep), StagingStepKinds.PairPeripheral)]
[JsonDerivedType(typeof(SettingsStep), StagingStepKinds.Settings)]
[JsonDerivedType(typeof(VerifyStep), StagingStepKinds.Verify)]
public abstract record StagingStep
{
    private readonly string? _id;

    protected StagingStep(string kind) => Kind = kind;

    /// <summary>The discriminator; written by the polymorphic serializer, not as a member.</summary>
    [JsonIgnore]
    public string Kind { get; }

    public string Id
    {
        get => string.IsNullOrEmpty(_id) ? Kind : _id;
        init => _id = value;
    }
}

public static class StagingStepKinds
{
    public const string Enroll = "enroll";
    public const string ManagedConfig = "managedConfig";
    public const string InstallApps = "installApps";
    public const string Wifi = "wifi";
    public const string PairPeripheral = "pairPeripheral";
    public const string Settings = "settings";
    public const string Verify = "verify";

    public static IReadOnlyList<string> All { get; } = [Enroll, ManagedConfig, InstallApps, Wifi, PairPeripheral, Settings, Verify];
}

/// <summary>The device enrolls with the appliance. Done by the time a device can fetch its plan; reported so progress reads whole.</summary>
public sealed record EnrollStep() : StagingStep(StagingStepKinds.Enroll);

/// <summary>
/// An app's managed configuration (an Android Enterprise app-restrictions bundle; for Zebra devices the OEMConfig
/// app's bundle, DataWedge profiles and all). <paramref name="Values"/> are flat: a nested bundle is written with
/// dotted keys ("scanner.decoders.qr": "true"), which is what the YAML's nested maps become.
/// </summary>
public sealed record ManagedConfigStep(string PackageName, IReadOnlyDictionary<string, string> Values) : StagingStep(StagingStepKinds.ManagedConfig);

/// <summary>Installs <paramref name="PackageNames"/>; empty means every app the group's blueprint requires.</summary>
public sealed record InstallAppsStep(IReadOnlyList<string> PackageNames) : StagingStep(StagingStepKinds.InstallApps);

/// <summary>
/// Joins a Wi-Fi network. <paramref name="Security"/> is one of <see cref="WifiSecurity"/>'s values;
/// <paramref name="Psk"/> is for the personal modes, <paramref name="Identity"/> and <paramref name="Password"/>
/// for enterprise (EAP-PEAP needs both, EAP-TLS the identity only: its credential is the device certificate).
/// </summary>
public sealed record WifiStep(string Ssid, string Security, Secret? Psk = null, string? Identity = null, Secret? Password = null) : StagingStep(StagingStepKinds.Wifi);

public static class WifiSecurity
{
    public const string Open = "open";
    public const string Wpa2Psk = "wpa2-psk";
    public const string Wpa3Sae = "wpa3-sae";
    public const string EapPeap = "eap-peap";
    public const string EapTls = "eap-tls";

    public static IReadOnlyList<string> All { get; } = [Open, Wpa2Psk, Wpa3Sae, EapPeap, EapTls];
}

/// <summary>
/// Pairs a Bluetooth peripheral of <paramref name="Peripheral"/> kind (ring-scanner, printer, headset, ...) whose
/// address matches <paramref name="AddressPattern"/> (<see cref="PeripheralAddress"/>: "00:1B:*" or "AC:3F:A4:12:*:*").
/// </summary>
public sealed record PairPeripheralStep(string Peripheral, string AddressPattern) : StagingStep(StagingStepKinds.PairPeripheral);

/// <summary>Device settings as key/values ("screen.timeoutSeconds": "300").</summary>
public sealed record SettingsStep(IReadOnlyDictionary<string, string> Values) : StagingStep(StagingStepKinds.Settings);

/// <summary>Done when the device's status shows zero drift against its group's blueprint.</summary>
public sealed record VerifyStep() : StagingStep(StagingStepKinds.Verify);
