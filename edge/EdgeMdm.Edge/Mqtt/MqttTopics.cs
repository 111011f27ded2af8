namespace EdgeMdm.Edge.Mqtt;

/// <summary>Who is on the other end of an MQTT connection, as established at login.</summary>
public enum MqttRole
{
    Device,
    Cradle,
    Tool,
}

/// <summary>A logged-in MQTT client: its role and its id (device id, cradle id or tool id; also its user name).</summary>
public sealed record MqttPrincipal(MqttRole Role, string Id);

/// <summary>
/// The topic schema (README, "MQTT topics") and who may use which part of it. Pure: decided from the principal and
/// the topic or filter alone.
/// <list type="bullet">
/// <item>A device subscribes within <c>edgemdm/devices/{its id}/</c> and publishes nothing: its channel to the appliance is the check-in.</item>
/// <item>A cradle publishes and subscribes within <c>edgemdm/cradles/{its id}/</c>.</item>
/// <item>A tool subscribes within <c>edgemdm/cradles/</c> (every cradle's telemetry, read-only) and publishes nothing.</item>
/// <item>Only the appliance publishes wakes; it injects them and is never checked here.</item>
/// </list>
/// A filter is allowed only when every topic it can match lies in the principal's part: a wildcard in a level that
/// names the owner (<c>edgemdm/devices/+/wake</c>, <c>#</c>) is denied, as is anything starting with <c>$</c>
/// (<c>$SYS</c>, shared subscriptions).
/// </summary>
public static class MqttTopics
{
    public const string Root = "edgemdm";
    public const string Devices = "devices";
    public const string Cradles = "cradles";

    /// <summary>Longest topic or filter considered; longer ones are denied without being split.</summary>
    public const int MaxTopicLength = 512;

    public static string WakeTopic(string deviceId) => $"{Root}/{Devices}/{deviceId}/wake";

    public static string DeviceFilter(string deviceId) => $"{Root}/{Devices}/{deviceId}/#";

    /// <summary>An id usable as one topic level: 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public static bool IsValidClientId(string? id) =>
        id is { Length: > 0 and <= 64 }
        && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    public const string ClientIdRule = "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit";

    public static bool MaySubscribe(MqttPrincipal principal, string filter)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.Role switch
        {
            MqttRole.Device => WithinOwnedPrefix(filter, Devices, principal.Id),
            MqttRole.Cradle => WithinOwnedPrefix(filter, Cradles, principal.Id),
            MqttRole.Tool => WithinOwnedPrefix(filter, Cradles, owner: null),
            _ => false,
        };
    }

    public static bool MayPublish(MqttPrincipal principal, string topic)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.Role == MqttRole.Cradle && !HasWildcard(topic) && WithinOwnedPrefix(topic, Cradles, principal.Id);
    }

    /// <summary>
    /// True when the topic or filter starts with the literal levels <c>edgemdm/{area}/{owner}</c> (or <c>edgemdm/{area}</c>
    /// when <paramref name="owner"/> is null) and has nothing but well-formed levels after them.
    /// </summary>
    private static bool WithinOwnedPrefix(string? filter, string area, string? owner)
    {
        if (string.IsNullOrEmpty(filter) || filter.Length > MaxTopicLength || filter[0] == '$')
            return false;
        var levels = filter.Split('/');
        var fixedLevels = owner is null ? 2 : 3;
        if (levels.Length < fixedLevels)
            return false;
        if (!string.Equals(levels[0], Root, StringComparison.Ordinal) || !string.Equals(levels[1], area, StringComparison.Ordinal))
            return false;
        if (owner is not null && !string.Equals(levels[2], owner, StringComparison.Ordinal))
            return false;
        for (var i = fixedLevels; i < levels.Length; i++)
        {
            var level = levels[i];
            // '#' only alone and last; '+' only alone; neither inside a level (MQTT 4.7.1).
            if (level.Contains('#', StringComparison.Ordinal) && (level.Length != 1 || i != levels.Length - 1))
                return false;
            if (level.Contains('+', StringComparison.Ordinal) && level.Length != 1)
                return false;
        }

        return true;
    }

    private static bool HasWildcard(string topic) => topic.Contains('+', StringComparison.Ordinal) || topic.Contains('#', StringComparison.Ordinal);
}
