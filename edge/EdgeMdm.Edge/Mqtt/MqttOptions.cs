using System.Globalization;
using System.Net;
using EdgeMdm.Edge.Options;
using EdgeMdm.ServiceDefaults.OwnerOnly;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Mqtt;

/// <summary>
/// The appliance's MQTT side, section <c>Edge:Mqtt</c>. With <see cref="Listen"/> (or, asked for explicitly,
/// <see cref="ListenPlain"/>) the appliance embeds a broker; with <see cref="External"/> it publishes wakes to another
/// broker (Mosquitto at a very large site) as a client; with neither there is no MQTT and devices check in on their
/// interval alone.
/// </summary>
public sealed class MqttOptions
{
    /// <summary>
    /// Where the embedded broker listens with TLS (the site server certificate, <c>DATA/tls</c>): comma-separated IP:port
    /// (<c>127.0.0.1:8883</c>, <c>[::]:8883</c>); only these.
    /// </summary>
    public string? Listen { get; set; }

    /// <summary>
    /// Where the embedded broker also listens without TLS (<c>127.0.0.1:1883</c>): only when an operator asks for it,
    /// for an old cradle that cannot speak TLS. Device credentials cross it in clear text.
    /// </summary>
    public string? ListenPlain { get; set; }

    /// <summary>
    /// The broker address devices are told at enrollment (<c>mqtts://10.0.0.5:8883</c>). Unset: the embedded broker's
    /// first TLS address (its plain one when it has none), with the host the device reached the appliance by when the
    /// broker listens on every address; or <see cref="External"/>.
    /// </summary>
    public string? AdvertisedUrl { get; set; }

    /// <summary>
    /// An external broker the appliance publishes wakes to instead of embedding one: <c>mqtts://host:port</c> (TLS, its
    /// certificate issued by the site CA, e.g. Mosquitto serving <c>DATA/tls/server.pem</c>) or <c>host:port</c> (plain).
    /// </summary>
    public string? External { get; set; }

    /// <summary>The appliance's user name at <see cref="External"/>.</summary>
    public string? ExternalUserName { get; set; }

    /// <summary>The appliance's password at <see cref="External"/>, in clear; on a command line it shows in <c>ps</c>: prefer <see cref="ExternalCredentialFile"/>.</summary>
    public string? ExternalPassword { get; set; }

    /// <summary>
    /// A file holding the appliance's password at <see cref="External"/> (<c>--mqtt-external-credential-file</c>), readable
    /// by the appliance's account alone (mode 0600: a file others may read stops the start), read once at start. Give
    /// this or <see cref="ExternalPassword"/>.
    /// </summary>
    public string? ExternalCredentialFile { get; set; }

    /// <summary>What <see cref="ExternalCredentialFile"/> holds, trimmed; set at start (<see cref="ExternalCredentialFileReader"/>), never bound.</summary>
    internal string? ExternalPasswordFromFile { get; set; }

    /// <summary>Why <see cref="ExternalCredentialFile"/> could not be read; null when it was, or none was given.</summary>
    internal string? ExternalCredentialFileError { get; set; }

    /// <summary>The password the appliance logs in with at <see cref="External"/>: <see cref="ExternalPassword"/>, or what <see cref="ExternalCredentialFile"/> holds.</summary>
    public string? ExternalLoginPassword => string.IsNullOrEmpty(ExternalPassword) ? ExternalPasswordFromFile : ExternalPassword;

    /// <summary>
    /// With <see cref="External"/>: the Mosquitto password file the appliance keeps up to date (the appliance's own login,
    /// every device's, every cradle's and tool's), so devices log in there with their device credential.
    /// </summary>
    public string? ExternalPasswordFile { get; set; }

    /// <summary>With <see cref="ExternalPasswordFile"/>: the Mosquitto ACL file the appliance keeps up to date (the topic rules of the embedded broker).</summary>
    public string? ExternalAclFile { get; set; }

    /// <summary>Largest packet a client may send after CONNECT; a larger declared length ends the connection.</summary>
    public int MaxPacketBytes { get; set; } = 64 * 1024;

    /// <summary>How long a new connection has to complete its CONNECT (and any packet has to arrive whole once begun).</summary>
    public int ConnectTimeoutSeconds { get; set; } = 10;

    /// <summary>Messages queued for one slow client before the oldest are dropped.</summary>
    public int MaxPendingMessagesPerClient { get; set; } = 100;

    /// <summary>Connections open at once to the embedded broker; one more is closed as it arrives. Every device keeps one.</summary>
    public int MaxConnections { get; set; } = 20_000;

    /// <summary>
    /// Publications a second one client may make, with five seconds' worth at once; past it they are dropped (an MQTT 5
    /// client is told "quota exceeded"), and a client that goes on for another five seconds' worth is disconnected.
    /// A cradle reports a few times a minute; this keeps one flooding client from taking the broker from the floor.
    /// </summary>
    public int PublishesPerSecondPerClient { get; set; } = 20;

    /// <summary>Largest CONNECT accepted: client id, user name, password, a small will.</summary>
    public const int MaxConnectBytes = 4 * 1024;

    public bool Embedded => !string.IsNullOrWhiteSpace(Listen) || !string.IsNullOrWhiteSpace(ListenPlain);

    public bool UsesExternal => !string.IsNullOrWhiteSpace(External);

    /// <summary>
    /// Every embedded listener, the TLS ones (<see cref="Listen"/>) first; throws <see cref="FormatException"/> naming a
    /// bad endpoint.
    /// </summary>
    internal IReadOnlyList<MqttListener> Listeners() =>
        [.. EndPoints(Listen).Select(endpoint => new MqttListener(endpoint, Tls: true)), .. EndPoints(ListenPlain).Select(endpoint => new MqttListener(endpoint, Tls: false))];

    private static List<IPEndPoint> EndPoints(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(text => IPEndPoint.TryParse(text, out var endpoint) && text.Contains(':', StringComparison.Ordinal)
                ? endpoint
                : throw new FormatException($"'{text}' is not an IP:port"))
            .ToList();

    /// <summary>Whether <see cref="External"/> is reached over TLS (<c>mqtts://</c>).</summary>
    public bool ExternalTls => External?.StartsWith(TlsScheme, StringComparison.Ordinal) == true;

    private const string TlsScheme = "mqtts://";

    /// <summary>
    /// The <see cref="External"/> broker as host and port (after any <c>mqtts://</c>); throws <see cref="FormatException"/>
    /// when it is not host:port.
    /// </summary>
    public (string Host, int Port) ExternalEndPoint()
    {
        var text = ExternalTls ? External![TlsScheme.Length..] : External ?? "";
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65_535)
            throw new FormatException($"'{text}' is not host:port");
        return (text[..colon].Trim('[', ']'), port);
    }

    internal List<string> Validate()
    {
        var failures = new List<string>();
        if (Embedded && UsesExternal)
            failures.Add("Edge:Mqtt:Listen (--mqtt-listen, --mqtt-listen-plain) and Edge:Mqtt:External (--mqtt-external) exclude each other: embed a broker or use another one");
        ValidateListen(failures, Listen, "Edge:Mqtt:Listen (--mqtt-listen)", "127.0.0.1:8883 or [::]:8883");
        ValidateListen(failures, ListenPlain, "Edge:Mqtt:ListenPlain (--mqtt-listen-plain)", "127.0.0.1:1883 or [::]:1883");

        if (UsesExternal)
        {
            try
            {
                ExternalEndPoint();
            }
            catch (FormatException exception)
            {
                failures.Add($"Edge:Mqtt:External (--mqtt-external): {exception.Message}, e.g. mqtts://mosquitto.site.lan:8883 or mosquitto.site.lan:1883");
            }
        }

        if (ExternalCredentialFile is not null)
        {
            if (!string.IsNullOrEmpty(ExternalPassword))
                failures.Add("give the broker password once: Edge:Mqtt:ExternalCredentialFile (--mqtt-external-credential-file) or Edge:Mqtt:ExternalPassword (--mqtt-external-password), not both");
            else if (ExternalCredentialFileError is { } error)
                failures.Add("Edge:Mqtt:ExternalCredentialFile (--mqtt-external-credential-file): " + error);
        }

        if (ExternalPasswordFile is not null && (!UsesExternal || string.IsNullOrEmpty(ExternalUserName) || string.IsNullOrEmpty(ExternalLoginPassword)))
            failures.Add("Edge:Mqtt:ExternalPasswordFile needs Edge:Mqtt:External with the appliance's user name and password (--mqtt-external-user, --mqtt-external-credential-file or --mqtt-external-password)");
        if (ExternalAclFile is not null && ExternalPasswordFile is null)
            failures.Add("Edge:Mqtt:ExternalAclFile needs Edge:Mqtt:ExternalPasswordFile");
        if (AdvertisedUrl is { } url && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("mqtts" or "mqtt") || uri.Port < 1))
            failures.Add($"Edge:Mqtt:AdvertisedUrl (--mqtt-url) must be mqtts://host:port (or mqtt://host:port), not '{url}'");
        if (MaxPacketBytes is < 1024 or > 16 * 1024 * 1024)
            failures.Add($"Edge:Mqtt:MaxPacketBytes must be between 1024 and 16777216, not {MaxPacketBytes.ToString(CultureInfo.InvariantCulture)}");
        if (ConnectTimeoutSeconds is < 1 or > 300)
            failures.Add($"Edge:Mqtt:ConnectTimeoutSeconds must be between 1 and 300, not {ConnectTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}");
        if (MaxConnections is < 1 or > 1_000_000)
            failures.Add($"Edge:Mqtt:MaxConnections must be between 1 and 1000000, not {MaxConnections.ToString(CultureInfo.InvariantCulture)}");
        if (PublishesPerSecondPerClient is < 1 or > 100_000)
            failures.Add($"Edge:Mqtt:PublishesPerSecondPerClient must be between 1 and 100000, not {PublishesPerSecondPerClient.ToString(CultureInfo.InvariantCulture)}");
        if (MaxPendingMessagesPerClient is < 1 or > 100_000)
            failures.Add($"Edge:Mqtt:MaxPendingMessagesPerClient must be between 1 and 100000, not {MaxPendingMessagesPerClient.ToString(CultureInfo.InvariantCulture)}");
        return failures;
    }

    private static void ValidateListen(List<string> failures, string? list, string name, string example)
    {
        if (list is null)
            return;
        try
        {
            if (EndPoints(list).Count == 0)
                failures.Add($"{name} names no endpoint");
        }
        catch (FormatException exception)
        {
            failures.Add($"{name}: {exception.Message}; use IP:port, e.g. {example}");
        }
    }
}

/// <summary>Reads <see cref="MqttOptions.ExternalCredentialFile"/> once the settings are bound, before they are validated.</summary>
internal sealed class ExternalCredentialFileReader : IPostConfigureOptions<MqttOptions>
{
    public void PostConfigure(string? name, MqttOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ExternalCredentialFile is { } path)
            (options.ExternalPasswordFromFile, options.ExternalCredentialFileError) = OwnerOnlyFiles.ReadSecret(path, "the appliance's password at the external broker");
    }
}

internal sealed class MqttOptionsValidator : IValidateOptions<MqttOptions>
{
    public const string Section = EdgeOptions.Section + ":Mqtt";

    public ValidateOptionsResult Validate(string? name, MqttOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Validate();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
