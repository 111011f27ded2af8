using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Domain.Blueprints;

/// <summary>
/// Content hashes that devices and the appliance must agree on byte for byte: lowercase hex SHA-256 of a
/// canonical JSON form, truncated to 128 bits (plenty to tell versions of a document apart, and short on the
/// wire). Canonical means: UTF-8, no whitespace, dictionary keys in ordinal order (records keep their
/// declared property order), and strings escaped only
/// where JSON requires it (quote, backslash, control characters), so an agent in any language can
/// reproduce the bytes.
/// </summary>
public static class CanonicalHash
{
    public static string Of(IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Hex(JsonSerializer.SerializeToUtf8Bytes(Sorted(values), CanonicalJson.Canonical.SortedDictionaryStringString));
    }

    /// <summary>The same values in ordinal key order, the order every hash of ours is taken in.</summary>
    public static SortedDictionary<string, string> Sorted(IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in values)
            sorted[key] = value;
        return sorted;
    }

    internal static string Of(DeclarationsDocument document) =>
        Hex(JsonSerializer.SerializeToUtf8Bytes(document, CanonicalJson.Canonical.DeclarationsDocument));

    public static string OfPlan(Rollouts.RolloutPlan plan) =>
        Hex(JsonSerializer.SerializeToUtf8Bytes((plan ?? throw new ArgumentNullException(nameof(plan))).Normalized(), CanonicalJson.Canonical.RolloutPlan));

    private static string Hex(byte[] canonical) =>
        Convert.ToHexStringLower(SHA256.HashData(canonical).AsSpan(0, 16));

    /// <summary>Hex SHA-256 of UTF-8 text, used for secrets (high-entropy, so a fast hash is right).</summary>
    public static string Sha256Hex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
