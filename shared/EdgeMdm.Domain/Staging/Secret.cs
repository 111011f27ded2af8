using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeMdm.Domain.Staging;

/// <summary>
/// A value that must not be shown: a Wi-Fi pre-shared key, an enterprise password. <see cref="ToString"/> and
/// the JSON it is written as by default both say <see cref="Redacted"/>, so interpolating a step into a log line
/// or serializing a plan for a list prints no secret by accident. Only <see cref="Reveal"/> gives the value, and
/// only <see cref="StagingPlanJson.Clear"/> writes it: the two places that may (the protected form at rest, the
/// plan handed to an enrolled device of the group).
/// </summary>
[JsonConverter(typeof(RedactedSecretConverter))]
public sealed class Secret : IEquatable<Secret>
{
    /// <summary>What a secret reads as wherever it is shown.</summary>
    public const string Redacted = "(secret)";

    private readonly string _value;

    public Secret(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary>The value itself, for the protected form at rest and the device's copy of its plan; nowhere else.</summary>
    public string Reveal() => _value;

    /// <summary>Characters in the value, for validation messages that must not quote it.</summary>
    public int Length => _value.Length;

    public override string ToString() => Redacted;

    /// <summary>Equal values, compared in fixed time (a dry run's "changed" must not leak by timing).</summary>
    public bool Equals(Secret? other) =>
        other is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(_value), Encoding.UTF8.GetBytes(other._value));

    public override bool Equals(object? obj) => Equals(obj as Secret);

    public override int GetHashCode() => 0;

    public static bool operator ==(Secret? left, Secret? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(Secret? left, Secret? right) => !(left == right);
}

/// <summary>The default form: a secret is written as "(secret)" and can never be read back from that.</summary>
public sealed class RedactedSecretConverter : JsonConverter<Secret>
{
    public override Secret Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? throw new JsonException("a secret must be a string");
        return string.Equals(text, Secret.Redacted, StringComparison.Ordinal) ? throw new JsonException("a redacted secret cannot be read back") : new Secret(text);
    }

    public override void Write(Utf8JsonWriter writer, Secret value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(Secret.Redacted);
    }
}

/// <summary>
/// The clear form, for <see cref="StagingPlanJson.Clear"/> only. It too refuses "(secret)": a redacted copy read
/// back as clear would make the placeholder the Wi-Fi key.
/// </summary>
internal sealed class ClearSecretConverter : JsonConverter<Secret>
{
    public override Secret Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? throw new JsonException("a secret must be a string");
        return string.Equals(text, Secret.Redacted, StringComparison.Ordinal) ? throw new JsonException("a redacted secret cannot be read back") : new Secret(text);
    }

    public override void Write(Utf8JsonWriter writer, Secret value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Reveal());
}
